package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.TestSets;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.data.Placement;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.Optimizer;
import java.io.File;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * The loop with executors in their own JVMs ({@code local-cluster[2,1,1024]}: two workers of one
 * core each) gives byte-identical weights to local mode with the same partition count, also when
 * an executor JVM is killed mid-training (its cached partition is recomputed from lineage and its
 * task retried elsewhere), and with the data in local files ({@link Placement#DISK}).
 */
class LocalClusterTest {
  static final NetworkSpec NET = NetworkSpec.of(new int[] {20, 32, 4}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
  static final TrainingSpec SPEC = new TrainingSpec(NET, Init.of(Init.Kind.HE_NORMAL), Optimizer.adam(0.01), 128, false, 3, 64);
  static final int STEPS = 30;

  static float[] train(String master, boolean killOneExecutor) {
    return train(master, killOneExecutor, Placement.MEMORY);
  }

  static float[] train(String master, boolean killOneExecutor, Placement placement) {
    return train(master, killOneExecutor, placement, DistributedTrainer.Reduce.AUTO);
  }

  static float[] train(String master, boolean killOneExecutor, Placement placement, DistributedTrainer.Reduce reduce) {
    try (JavaSparkContext sc = new JavaSparkContext(conf(master))) {
      sc.setLogLevel("ERROR");
      Examples all = TestSets.blobs(3000, 20, 4, false, 11);
      PackedData data = PackedData.pack(LocalExamples.distribute(sc, all, 2, "blobs"), NET,
          org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK(), placement);
      DistributedTrainer t = new DistributedTrainer(sc, SPEC, data, "cluster").reduce(reduce);
      for (int s = 0; s < STEPS; s++) {
        if (killOneExecutor && s == STEPS / 2) {
          List<ProcessHandle> executors = executorProcesses(sc.sc().applicationId());
          assertEquals(2, executors.size(), "executor JVMs of this application");
          executors.get(0).destroyForcibly();
        }
        t.step();
      }
      t.close();
      return t.params();
    }
  }

  static SparkConf conf(String master) {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return new SparkConf().setMaster(master).setAppName("sparkprop-local-cluster-test")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.ui.enabled", "false")
        .set("spark.executor.extraClassPath", cp)
        .set("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
        .set("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1");
  }

  static List<ProcessHandle> executorProcesses(String appId) {
    // /proc/PID/cmdline rather than ProcessHandle.Info, which gives up on very long command lines
    return ProcessHandle.allProcesses().filter(p -> {
      try {
        String line = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc", Long.toString(p.pid()), "cmdline")),
            java.nio.charset.StandardCharsets.UTF_8);
        return line.contains("CoarseGrainedExecutorBackend") && line.contains(appId);
      } catch (java.io.IOException | RuntimeException e) {
        return false; // process ended, or not ours to read
      }
    }).collect(Collectors.toList());
  }

  @Test
  void localCluster_givesByteIdenticalWeightsToLocalMode_evenWhenAnExecutorDies() {
    String home = System.getenv("SPARK_HOME");
    assertTrue(home != null && (new File(home, "jars").isDirectory() || new File(home, "jars").mkdirs()),
        "SPARK_HOME must name a folder with jars/ (the Surefire execution sets it): " + home);
    float[] cluster = train("local-cluster[2,1,1024]", false);
    float[] clusterKilled = train("local-cluster[2,1,1024]", true);
    float[] local = train("local[2]", false);
    assertArrayEquals(local, cluster, 0f, "local-cluster vs local[2]");
    assertArrayEquals(local, clusterKilled, 0f, "local-cluster with a killed executor vs local[2]");
  }

  /**
   * The gradients reduced on the executors (a reduce-scatter through the block managers, two jobs
   * per step): the weights of the driver's sum, also when an executor dies between or during them.
   */
  @Test
  void reduceOnExecutors_givesByteIdenticalWeightsToTheDriversSum_evenWhenAnExecutorDies() {
    float[] local = train("local[2]", false, Placement.MEMORY, DistributedTrainer.Reduce.DRIVER);
    float[] reduced = train("local-cluster[2,1,1024]", false, Placement.MEMORY, DistributedTrainer.Reduce.EXECUTORS);
    assertArrayEquals(local, reduced, 0f, "reduced on the executors vs the driver's sum");
    float[] killed = train("local-cluster[2,1,1024]", true, Placement.MEMORY, DistributedTrainer.Reduce.EXECUTORS);
    assertArrayEquals(local, killed, 0f, "reduced on the executors with a killed executor vs the driver's sum");
  }

  /**
   * A {@link StepStream} (the cluster's way for a fit's steps and validation): the weights and
   * validation results of one job per step in local mode, also when an executor dies mid-stream
   * (the stream ends, the rest of the epoch runs one job per step and retries the lost task, the
   * next epoch streams again).
   */
  @Test
  void streamedSteps_giveByteIdenticalWeightsToLocalMode_evenWhenAnExecutorDiesMidChunk() throws Exception {
    String local = fit("local[2]", -1, 2);
    assertEquals(local, fit("local-cluster[2,1,1024]", -1, 2), "weights, losses and validation: streamed on local-cluster vs local[2]");
    assertEquals(local, fit("local-cluster[2,1,1024]", 30, 2), "an executor killed in the second epoch's stream vs local[2]");
    assertEquals(fit("local[2]", -1, 5), fit("local-cluster[2,1,1024]", -1, 5), "five partitions streamed by two one-core executors");
    SparkConf encrypted = conf("local-cluster[2,1,1024]").set("spark.authenticate", "true")
        .set("spark.authenticate.secret", "sparkprop-test-secret").set("spark.network.crypto.enabled", "true");
    assertEquals(local, fit(encrypted, -1, 2), "Spark's RPC encrypted: the stream sealed");
  }

  /**
   * Three epochs of {@code fit} (24 steps each) over {@code partitions} partitions, with a
   * validation set of as many: the weights, then the epochs' losses and validation sums;
   * {@code killAt} >= 0 kills an executor once that many steps streamed.
   */
  static String fit(String master, int killAt, int partitions) throws Exception {
    return fit(conf(master), killAt, partitions);
  }

  static String fit(SparkConf conf, int killAt, int partitions) throws Exception {
    String master = conf.get("spark.master");
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      sc.setLogLevel("ERROR");
      PackedData data = PackedData.pack(LocalExamples.distribute(sc, TestSets.blobs(3000, 20, 4, false, 11), partitions, "blobs"), NET,
          org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK(), Placement.MEMORY);
      PackedData val = PackedData.pack(LocalExamples.distribute(sc, TestSets.blobs(600, 20, 4, false, 12), partitions, "val"), NET,
          org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK(), Placement.MEMORY);
      DistributedTrainer t = new DistributedTrainer(sc, SPEC, data, "streamed");
      Thread killer = new Thread(() -> {
        while (t.stream().steps() < killAt) Thread.onSpinWait();
        executorProcesses(sc.sc().applicationId()).get(0).destroyForcibly();
      });
      killer.setDaemon(true);
      if (killAt >= 0) killer.start();
      List<String> epochs = new java.util.ArrayList<>();
      float[] p = t.fit(new FitOptions(3, val, 1, 0), e -> epochs.add(e.trainLoss() + " " + e.validation())).params();
      if (!master.startsWith("local[")) {
        assertEquals(StepStream.rpcEncrypted(conf), t.stream().isSealed(), "sealed where Spark's RPC is encrypted");
        if (killAt < 0) {
          assertEquals(Math.min(partitions, 2), t.stream().tasks(), "a task per slot");
          assertEquals(3 * 24, t.stream().steps(), "every step streamed");
          assertEquals(3, t.stream().evaluations(), "every validation streamed");
        }
        if (killAt >= 0) assertTrue(t.stream().steps() >= killAt && t.stream().breaks() == 1,
            t.stream().steps() + " steps streamed, breaks " + t.stream().breakReasons() + ": the kill broke one");
      }
      if (killAt >= 0) killer.join(60_000);
      return java.util.Arrays.toString(p) + "\n" + epochs;
    }
  }

  /** The same with the packed data in local files: the killed executor's files go with it and are repacked elsewhere. */
  @Test
  void localFiles_givesByteIdenticalWeightsToMemory_evenWhenAnExecutorDies() {
    float[] local = train("local[2]", false, Placement.MEMORY);
    float[] killed = train("local-cluster[2,1,1024]", true, Placement.DISK);
    assertArrayEquals(local, killed, 0f, "local-cluster, files, a killed executor vs local[2] in memory");
  }
}
