package io.sparkprop.driver.bench;

import io.sparkprop.datasets.Generators;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.loop.DistributedTrainer;
import io.sparkprop.trainer.ShardStep;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.batch.BatchPlan;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.Optimizer;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.storage.StorageLevel;

/**
 * Scale-out of one step: executors in JVMs of their own ({@code local-cluster[E,1,MB]}, E = 2, 4,
 * 8, one core and one partition each), networks of 235k, 2.4M and 24M parameters, and three ways
 * to add the gradients, interleaved step by step in one run: the driver's sum (every task ships
 * its gradient), the executors' reduce-scatter ({@code training.gradient-reduce = executors}) and
 * an MLlib-style {@code treeAggregate} (the zero gradient shipped with every task, partial sums
 * combined in a tree of depth 2 on the executors, the last level on the driver).
 *
 * <p>Per step (medians): wall time, wall time minus the slowest task's run time, bytes the driver
 * took in (task results, from task metrics: {@code resultSize}), the bytes the driver JVM
 * allocated (every thread, from the JVM's own counters: a received gradient is allocated at least
 * once) and the driver process's CPU time. On a 2-core machine the executors share two cores, so wall
 * times grow with E for every method; the driver's bytes and CPU are the figures to judge.
 *
 * <p>Usage: {@code ScalingBenchmark [executors, e.g. 2,4,8] [cases, e.g. 235k,2.4M,24M] [steps]};
 * needs SPARK_HOME (bin/bench-scaling sets it). Prints Markdown.
 */
public final class ScalingBenchmark {
  private ScalingBenchmark() {}

  record Case(String name, int[] layers) {}

  static final int WARMUP = 8;

  static final Case[] CASES = {
      new Case("235k", new int[] {784, 256, 128, 10}),
      new Case("2.4M", new int[] {784, 2048, 384, 10}),
      new Case("24M", new int[] {784, 8192, 2048, 10})};

  /** Per-step figures from task-end events. */
  static final class Listener extends SparkListener {
    final AtomicLong resultBytes = new AtomicLong();
    final AtomicLong maxRunMs = new AtomicLong();

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
      if (e.taskMetrics() == null) return;
      resultBytes.addAndGet(e.taskMetrics().resultSize());
      maxRunMs.accumulateAndGet(e.taskMetrics().executorRunTime(), Math::max);
    }

    void reset() {
      resultBytes.set(0);
      maxRunMs.set(0);
    }
  }

  public static void main(String[] args) throws Exception {
    int[] executors = Arrays.stream((args.length > 0 ? args[0] : "2,4,8").split(",")).mapToInt(Integer::parseInt).toArray();
    List<String> only = Arrays.asList((args.length > 1 ? args[1] : "235k,2.4M,24M").split(","));
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    System.out.println(run(executors, only, steps));
  }

  static String run(int[] executors, List<String> only, int steps) throws Exception {
    StringBuilder md = new StringBuilder();
    String standalone = System.getProperty("sparkprop.scaling.master", "");
    md.append("| executors | params | method | step ms | step - slowest task ms | driver took in (task results) | "
        + "driver received (its sockets) | driver sent (its sockets) | driver allocated | driver CPU ms |\n"
        + "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (int e : executors) {
      // 24M parameters need about 2 GB per executor with three methods interleaved (broadcast, decoded weights, gradient, result, slices);
      // eight such executors and the driver do not fit this machine's 24 GB, so 24M runs up to 4
      boolean big = only.contains("24M") && e <= 4;
      int mb = big ? 2200 : 1200; // the worker's memory and the executor's heap (local-cluster's third number is only the former)
      // a standalone master (bin/bench-scaling --standalone starts one of 8 one-core workers): E executors of one core each
      String master = standalone.isEmpty() ? "local-cluster[" + e + ",1," + mb + "]" : standalone;
      SparkConf conf = new SparkConf(true).setMaster(master).set("spark.executor.memory", mb + "m").setAppName("sparkprop-scaling-" + e)
          .set("spark.cores.max", Integer.toString(e)).set("spark.executor.cores", "1")
          .set("spark.driver.host", "127.0.0.1").set("spark.ui.enabled", "false")
          .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
          .set("spark.executorEnv.OPENBLAS_NUM_THREADS", "1").set("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
          .set("spark.driver.maxResultSize", "4g");
      try (JavaSparkContext sc = new JavaSparkContext(conf)) {
        sc.setLogLevel("ERROR");
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (sc.sc().getExecutorIds().size() < e) {
          if (System.nanoTime() > deadline) throw new IllegalStateException(e + " executors did not register in 120 s");
          Thread.sleep(200);
        }
        Listener listener = new Listener();
        sc.sc().addSparkListener(listener);
        for (Case c : CASES) {
          if (!only.contains(c.name()) || (c.name().equals("24M") && !big)) continue;
          NetworkSpec net = NetworkSpec.of(c.layers(), Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
          TrainingSpec spec = new TrainingSpec(net, Init.of(Init.Kind.HE_NORMAL), Optimizer.adam(1e-3), 256, false, 1, 256);
          PackedData data = PackedData.pack(Generators.blobs(sc, 2048L * e, 784, 10, 1.0, e, 3), net,
              StorageLevel.MEMORY_AND_DISK());
          DistributedTrainer direct = new DistributedTrainer(sc, spec, data, "direct").reduce(DistributedTrainer.Reduce.DRIVER);
          DistributedTrainer reduced = new DistributedTrainer(sc, spec, data, "reduced").reduce(DistributedTrainer.Reduce.EXECUTORS);
          float[] params = spec.initialParams();
          String[] names = {"driver sum (direct)", "executors (reduce-scatter)", "treeAggregate (MLlib-style)"};
          double[][] wall = new double[3][steps];
          double[][] over = new double[3][steps];
          double[][] bytes = new double[3][steps];
          double[][] rchar = new double[3][steps];
          double[][] cpu = new double[3][steps];
          double[][] sockIn = new double[3][steps];
          double[][] sockOut = new double[3][steps];
          for (int s = -WARMUP; s < steps; s++) { // warm-up rounds first
            for (int m = 0; m < 3; m++) {
              listener.reset();
              java.util.Map<String, DriverSockets.Counts> s0 = s < 0 ? null : DriverSockets.snapshot();
              long r0 = allocated();
              long c0 = cpuNanos();
              long t0 = System.nanoTime();
              if (m == 0) direct.step();
              else if (m == 1) reduced.step();
              else treeStep(sc, spec, data, params, direct.plan(), s + WARMUP);
              long t1 = System.nanoTime();
              sc.sc().listenerBus().waitUntilEmpty();
              long c1 = cpuNanos();
              long a1 = allocated();
              if (s < 0) continue;
              DriverSockets.Counts io = DriverSockets.delta(s0, DriverSockets.snapshot());
              sockIn[m][s] = io.received();
              sockOut[m][s] = io.sent();
              wall[m][s] = (t1 - t0) / 1e6;
              over[m][s] = wall[m][s] - listener.maxRunMs.get();
              bytes[m][s] = listener.resultBytes.get();
              rchar[m][s] = a1 - r0;
              cpu[m][s] = (c1 - c0) / 1e6;
            }
          }
          direct.close();
          reduced.close();
          data.unpersist();
          for (int m = 0; m < 3; m++) {
            String row = String.format("| %d | %s | %s | %.0f | %.0f | %.1f MB | %.1f MB | %.1f MB | %.1f MB | %.0f |%n", e, c.name(),
                names[m], median(wall[m]), median(over[m]), median(bytes[m]) / 1e6, median(sockIn[m]) / 1e6, median(sockOut[m]) / 1e6,
                median(rchar[m]) / 1e6, median(cpu[m]));
            md.append(row);
            System.err.print(row); // as they come: a later failure keeps them
          }
          System.err.println("done: " + e + " executors, " + c.name());
        }
      }
    }
    return md.toString();
  }

  /**
   * MLlib's shape of a step with this engine's gradient: broadcast the weights, treeAggregate
   * (depth 2) over the packed partitions with a zero gradient shipped in every task's closure,
   * partial sums added on the executors, the last level on the driver. The optimizer update is
   * left out (the same for every method).
   */
  static float[] treeStep(JavaSparkContext sc, TrainingSpec spec, PackedData data, float[] params, BatchPlan plan, int k) {
    Broadcast<float[]> bw = sc.broadcast(params);
    int n = params.length;
    int spe = plan.stepsPerEpoch();
    float[] sum = data.rdd().treeAggregate(new float[n], (float[] acc, Examples ex) -> {
      new ShardStep(spec).accumulate(bw.value(), ex, plan, k / spe, k % spe, acc);
      return acc;
    }, (float[] a, float[] b) -> {
      for (int i = 0; i < a.length; i++) a[i] += b[i];
      return a;
    }, 2);
    bw.destroy();
    return sum;
  }

  /** Bytes every thread of this JVM has allocated so far. */
  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static double median(double[] a) {
    double[] s = a.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
