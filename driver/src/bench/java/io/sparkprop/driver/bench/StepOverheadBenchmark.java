package io.sparkprop.driver.bench;

import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.loop.DistributedTrainer;
import io.sparkprop.driver.loop.StepStats;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.Optimizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Per-step overhead of the distributed loop against the floor, an empty Spark job, and against an
 * MLlib-style step (broadcast of the weights as doubles + treeAggregate with a zero array shipped
 * with every task, as MLlib's MultilayerPerceptronClassifier does), measured interleaved in one
 * run so that all three see the same JVM warmth and machine load.
 *
 * <p>Our overhead is the step's wall time minus its slowest task's compute time. Usage:
 * {@code StepOverheadBenchmark [master] [rounds] [warmup] [cases, e.g. 235k,2.4M,24M]}; every other Spark setting can be
 * given as a system property (-Dspark.x=y). Prints a Markdown table.
 */
public final class StepOverheadBenchmark {
  private StepOverheadBenchmark() {}

  record Case(String name, int[] layers, int[] partitions, int rounds) {}

  static final String HEADER = "| params | partitions | step ms | slowest task compute ms | overhead ms | empty job ms "
      + "| overhead - empty ms | MLlib-style step ms | driver update ms |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";

  public static void main(String[] args) {
    String master = args.length > 0 ? args[0] : "local[2]";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
    List<String> only = Arrays.asList((args.length > 3 ? args[3] : "235k,2.4M,24M").split(","));
    List<Case> cases = new ArrayList<>();
    for (Case c : new Case[] {
        new Case("235k", new int[] {784, 256, 128, 10}, new int[] {2, 8, 32}, rounds),
        new Case("2.4M", new int[] {784, 2048, 384, 10}, new int[] {2, 8, 32}, Math.max(10, rounds / 4)),
        new Case("24M", new int[] {784, 4096, 4096, 1024, 10}, new int[] {2, 8}, Math.max(5, rounds / 20))}) {
      if (only.contains(c.name())) cases.add(c);
    }
    SparkConf conf = new SparkConf(true).setMaster(master).setAppName("sparkprop-step-overhead")
        .setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.ui.enabled", "false");
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      sc.setLogLevel("ERROR");
      System.out.printf("# step overhead: master %s, %d rounds (fewer for the large nets), warmup %d empty jobs, batch 512, java %s%n",
          master, rounds, warmup, System.getProperty("java.version"));
      System.out.println(HEADER);
      for (Case c : cases) {
        for (int p : c.partitions()) {
          System.out.println(run(sc, c, p, warmup));
          warmup = Math.min(warmup, 100); // the JVM is warm after the first case
        }
      }
    }
  }

  /** One table row: the case measured interleaved with an empty job and an MLlib-style step. */
  static String run(JavaSparkContext sc, Case c, int partitions, int warmup) {
    NetworkSpec net = NetworkSpec.of(c.layers(), Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    int n = 8192;
    SplittableRandom r = new SplittableRandom(1);
    float[] x = new float[n * 784];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
    float[] y = new float[n];
    for (int i = 0; i < n; i++) y[i] = r.nextInt(10);
    Examples all = new Examples(0, n, 784, 1, x, y, null);
    TrainingSpec spec = new TrainingSpec(net, Init.of(Init.Kind.HE_NORMAL), Optimizer.sgd(0.01), 512, false, 1, 256);
    PackedData data = DistributedTrainer.pack(LocalExamples.distribute(sc, all, partitions, "bench"), spec);
    DistributedTrainer trainer = new DistributedTrainer(sc, spec, data, "bench");
    JavaRDD<Integer> empty = sc.parallelize(Arrays.asList(new Integer[partitions]), partitions).cache();
    empty.count();
    for (int i = 0; i < warmup; i++) empty.count();
    double[] wd = new double[net.paramCount()];
    for (int i = 0; i < Math.min(20, c.rounds()); i++) {
      trainer.step();
      mllibStep(sc, data, wd);
    }
    int rounds = c.rounds();
    double[] step = new double[rounds];
    double[] compute = new double[rounds];
    double[] over = new double[rounds];
    double[] update = new double[rounds];
    double[] emptyMs = new double[rounds];
    double[] mllib = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      trainer.step();
      StepStats s = trainer.lastStepStats();
      step[i] = s.wallNanos() / 1e6;
      compute[i] = s.maxTaskComputeNanos() / 1e6;
      over[i] = s.overheadNanos() / 1e6;
      update[i] = s.updateNanos() / 1e6;
      long t0 = System.nanoTime();
      empty.count();
      emptyMs[i] = (System.nanoTime() - t0) / 1e6;
      t0 = System.nanoTime();
      mllibStep(sc, data, wd);
      mllib[i] = (System.nanoTime() - t0) / 1e6;
    }
    double o = median(over);
    double e = median(emptyMs);
    data.unpersist();
    empty.unpersist(false);
    return String.format("| %s | %d | %.1f | %.1f | %.1f | %.1f | %+.1f | %.1f | %.1f |", c.name(), partitions, median(step),
        median(compute), o, e, o - e, median(mllib), median(update));
  }

  /** MLlib's shape of a step: broadcast double weights, treeAggregate shipping a zero array per task. */
  static void mllibStep(JavaSparkContext sc, PackedData data, double[] weights) {
    Broadcast<double[]> bw = sc.broadcast(weights);
    int n = weights.length;
    double[] sum = data.rdd().treeAggregate(new double[n], (acc, ex) -> {
      double[] w = bw.value();
      acc[0] += w[0] + ex.rows();
      return acc;
    }, (a, b) -> {
      for (int i = 0; i < a.length; i++) a[i] += b[i];
      return a;
    }, 2);
    if (sum.length != n) throw new AssertionError();
    bw.destroy();
  }

  static double median(double[] a) {
    double[] s = a.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
