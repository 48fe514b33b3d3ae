package io.sparkprop.driver.bench;

import dev.ludovic.netlib.blas.BLAS;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Blas;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.nn.Workspace;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Forward+backward throughput of the engine against plain sgemm of the same shapes, on one thread.
 *
 * <p>For a block of m rows the engine runs, per layer, one forward sgemm (2 m in out flops), one
 * weight-gradient sgemm (2 m in out) and, above the first layer, one input-gradient sgemm
 * (2 m in out). The "sgemm" column runs exactly those calls and nothing else in the same JVM, so
 * the ratio is the share of time the engine spends in useful BLAS work.
 *
 * <p>Usage: {@code java [-Dsparkprop.blas=auto|native|java] -cp ... EngineBenchmark [layers] [seconds-per-cell]},
 * e.g. {@code EngineBenchmark 784,256,128,10 2}. Set {@code OPENBLAS_NUM_THREADS=1}.
 */
public final class EngineBenchmark {
  private EngineBenchmark() {}

  public static void main(String[] args) {
    int[] sizes = args.length > 0 ? Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray()
        : new int[] {784, 256, 128, 10};
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 2.0;
    int[] batches = {64, 128, 256, 512, 1024, 2048};
    NetworkSpec spec = NetworkSpec.of(sizes, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    BLAS blas = Blas.get();
    System.out.printf("# engine benchmark: %s, %d params, BLAS %s, OPENBLAS_NUM_THREADS=%s, java %s%n", spec,
        spec.paramCount(), blas.getClass().getSimpleName(), System.getenv("OPENBLAS_NUM_THREADS"),
        System.getProperty("java.version"));
    System.out.println("| batch | engine fwd+bwd GFLOP/s | sgemm same shapes GFLOP/s | engine / sgemm | ms per batch |");
    System.out.println("| ---: | ---: | ---: | ---: | ---: |");
    for (int m : batches) {
      double flops = flopsPerBatch(spec, m);
      double eng = measure(seconds, engineStep(spec, m));
      double gemm = measure(seconds, gemmOnly(spec, m, blas));
      System.out.printf("| %d | %.1f | %.1f | %.0f%% | %.2f |%n", m, flops / eng / 1e9, flops / gemm / 1e9,
          100 * gemm / eng, eng * 1e3);
    }
  }

  /** Flops of one forward+backward pass over m rows, as counted above. */
  public static double flopsPerBatch(NetworkSpec spec, int m) {
    double f = 0;
    for (int l = 0; l < spec.layers(); l++) {
      double mn = 2.0 * m * spec.size(l) * spec.size(l + 1);
      f += mn * (l > 0 ? 3 : 2);
    }
    return f;
  }

  public static Runnable engineStep(NetworkSpec spec, int m) {
    SplittableRandom r = new SplittableRandom(1);
    float[] x = new float[m * spec.inputSize()];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
    float[] y = new float[m];
    for (int i = 0; i < m; i++) y[i] = r.nextInt(spec.outputSize());
    Examples data = new Examples(0, m, spec.inputSize(), 1, x, y, null);
    Network net = new Network(spec);
    Workspace ws = new Workspace(spec, m);
    float[] p = Init.of(Init.Kind.HE_NORMAL).initialise(spec, 1);
    float[] g = new float[p.length];
    int[] rows = new int[m];
    for (int i = 0; i < m; i++) rows[i] = i;
    return () -> net.accumulateGradient(p, data, rows, m, ws, g);
  }

  public static Runnable gemmOnly(NetworkSpec spec, int m, BLAS blas) {
    int layers = spec.layers();
    float[][] a = new float[layers + 1][];
    for (int l = 0; l <= layers; l++) a[l] = new float[m * spec.size(l)];
    float[] d = new float[m * spec.maxWidth()];
    float[] d2 = new float[d.length];
    float[] p = new float[spec.paramCount()];
    float[] g = new float[p.length];
    return () -> {
      for (int l = 0; l < layers; l++) {
        int in = spec.size(l);
        int out = spec.size(l + 1);
        blas.sgemm("T", "N", out, m, in, 1f, p, spec.weightOffset(l), in, a[l], 0, in, 1f, a[l + 1], 0, out);
      }
      for (int l = layers - 1; l >= 0; l--) {
        int in = spec.size(l);
        int out = spec.size(l + 1);
        blas.sgemm("N", "T", in, out, m, 1f, a[l], 0, in, d, 0, out, 1f, g, spec.weightOffset(l), in);
        if (l > 0) blas.sgemm("N", "N", in, m, out, 1f, p, spec.weightOffset(l), in, d, 0, out, 0f, d2, 0, in);
      }
    };
  }

  /** Median seconds per call over ~seconds of calls, after a warmup of a third of that. */
  public static double measure(double seconds, Runnable body) {
    long warmEnd = System.nanoTime() + (long) (seconds / 3 * 1e9);
    while (System.nanoTime() < warmEnd) body.run();
    double[] samples = new double[100000];
    int n = 0;
    long end = System.nanoTime() + (long) (seconds * 1e9);
    while ((System.nanoTime() < end || n < 5) && n < samples.length) {
      long t0 = System.nanoTime();
      body.run();
      samples[n++] = (System.nanoTime() - t0) / 1e9;
    }
    Arrays.sort(samples, 0, n);
    return samples[n / 2];
  }
}
