package io.sparkprop.driver.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The cluster jar on a real standalone cluster, submitted as the README tells users to: a master
 * and three one-core workers started by {@code bin/cluster} (separate JVMs, loopback only), every
 * job with two executors and two partitions. Each model must be byte-identical to local mode with
 * the same partition count, also when an executor, a worker or the driver is SIGKILLed mid-run
 * (the driver's rerun resumes from its checkpoint). One cluster serves every test; the worker
 * kill comes last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  static Path work;
  static Path state;
  static String clusterJar;
  static long started;

  /** Spirals big enough that a kill lands mid-run (5 epochs x 94 steps), with validation and patience on. */
  static final String[] LONG = {"--set", "data.generator.rows=12000", "--set", "training.epochs=5", "--set", "training.patience=3"};
  static final String[] SHORT = {"--set", "training.epochs=3"};

  @BeforeAll
  static void startCluster() throws Exception {
    started = System.nanoTime();
    work = Files.createTempDirectory("sparkprop-it");
    state = work.resolve("cluster");
    clusterJar = findClusterJar();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopQuietly(state)));
    long t0 = System.nanoTime();
    String url = run("cluster-start", 180, "bin/cluster", "start", "--workers", "3", "--cores", "1", "--memory", "1g").trim();
    assertTrue(url.matches("(?s).*spark://127\\.0\\.0\\.1:\\d+"), url);
    System.out.printf("cluster up in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, url);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    run("cluster-stop", 60, "bin/cluster", "stop");
    assertTrue(workerPids().isEmpty() || workerPids().stream().noneMatch(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)));
    System.out.printf("cluster suite: %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  static String findClusterJar() throws IOException {
    try (Stream<Path> jars = Files.list(REPO.resolve("driver/target"))) {
      return jars.map(Path::toString).filter(p -> p.endsWith("-cluster.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no cluster jar in driver/target: run mvn package first"));
    }
  }

  /** Stops the cluster whose state is in {@code state}, if it still runs (a shutdown hook's last resort). */
  static void stopQuietly(Path state) {
    try {
      ProcessBuilder b = new ProcessBuilder(REPO.resolve("bin/cluster").toString(), "stop").directory(REPO.toFile())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      b.environment().put("SPARKPROP_CLUSTER_DIR", state.toString());
      b.start().waitFor(60, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException e) {
      // the JVM is exiting; nothing else to do
    }
  }

  static ProcessBuilder builder(String name, String... cmd) {
    return builder(work, state, name, cmd);
  }

  /** A command run from the repository, its output in {@code work/name.log}, against the cluster whose state is {@code state}. */
  static ProcessBuilder builder(Path work, Path state, String name, String... cmd) {
    ProcessBuilder b = new ProcessBuilder(cmd).directory(REPO.toFile()).redirectErrorStream(true)
        .redirectOutput(work.resolve(name + ".log").toFile());
    b.environment().put("SPARKPROP_CLUSTER_DIR", state.toString());
    return b;
  }

  static String run(String name, int timeoutSeconds, String... cmd) throws Exception {
    return run(work, state, name, timeoutSeconds, cmd);
  }

  /** Runs a command to completion; returns its output; fails on a non-zero exit or a timeout. */
  static String run(Path work, Path state, String name, int timeoutSeconds, String... cmd) throws Exception {
    Process p = builder(work, state, name, cmd).start();
    boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    String out = Files.readString(work.resolve(name + ".log"));
    if (!done) {
      p.destroyForcibly();
      throw new AssertionError(name + " did not finish in " + timeoutSeconds + " s:\n" + out);
    }
    assertEquals(0, p.exitValue(), name + " exited with " + p.exitValue() + ":\n" + out);
    return out;
  }

  static String[] concat(String[]... parts) {
    return Stream.of(parts).flatMap(Stream::of).toArray(String[]::new);
  }

  /** The README's standalone submit line, with this suite's sizes. */
  static String[] submit(String... appArgs) {
    return concat(new String[] {"bin/cluster", "submit", "--class", "io.sparkprop.driver.cli.Sparkprop",
        "--total-executor-cores", "2", "--executor-memory", "768m", "--conf", "spark.executorEnv.OPENBLAS_NUM_THREADS=1",
        clusterJar}, appArgs);
  }

  static String[] train(String model, String[] more) {
    return concat(new String[] {"train", "--config", REPO.resolve("conf/quickstart.conf").toString(),
        "--set", "output.dir=" + work.resolve("runs"), "--set", "output.model=" + work.resolve(model)}, more);
  }

  static String[] local(String model, String[] more) {
    return concat(new String[] {"bin/sparkprop"}, train(model, more), new String[] {"--master", "local[2]"});
  }

  static byte[] weights(String model) throws IOException {
    return Files.readAllBytes(work.resolve(model).resolve("weights.bin"));
  }

  static List<Long> workerPids() throws IOException {
    List<Long> out = new ArrayList<>();
    if (!Files.isDirectory(state)) return out;
    try (Stream<Path> f = Files.list(state)) {
      for (Path p : f.filter(x -> x.getFileName().toString().matches("worker-\\d+\\.pid")).sorted().toList()) {
        out.add(Long.parseLong(Files.readString(p).trim()));
      }
    }
    return out;
  }

  static List<ProcessHandle> executors() throws IOException {
    List<ProcessHandle> out = new ArrayList<>();
    for (long w : workerPids()) {
      ProcessHandle.of(w).ifPresent(h -> h.children().filter(c -> cmdline(c).contains("CoarseGrainedExecutorBackend"))
          .forEach(out::add));
    }
    return out;
  }

  static String cmdline(ProcessHandle p) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** Waits until the log of a running job shows {@code marker}. */
  static void await(Process p, String name, String marker) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      if (Files.readString(work.resolve(name + ".log")).contains(marker)) return;
      assertTrue(p.isAlive(), name + " ended before '" + marker + "':\n" + Files.readString(work.resolve(name + ".log")));
      Thread.sleep(50);
    }
    throw new AssertionError(name + " never showed '" + marker + "'");
  }

  static void finish(Process p, String name) throws Exception {
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), name + " did not finish");
    assertEquals(0, p.exitValue(), name + ":\n" + Files.readString(work.resolve(name + ".log")));
  }

  static void time(String what, long t0) {
    System.out.printf("%s: %.1f s%n", what, (System.nanoTime() - t0) / 1e9);
  }

  @Test
  @Order(1)
  void generatedData_clientMode_byteIdenticalToLocal() throws Exception {
    long t0 = System.nanoTime();
    run("local-short", 300, local("local-short", SHORT));
    String out = run("client-short", 300, submit(train("client-short", SHORT)));
    assertTrue(out.contains("master spark://127.0.0.1:") && out.contains("2 partitions"), out);
    assertArrayEquals(weights("local-short"), weights("client-short"), "cluster (client mode) vs local[2]");
    time("generated data, client mode", t0);
  }

  @Test
  @Order(2)
  void clusterDeployMode_byteIdenticalToLocal() throws Exception {
    long t0 = System.nanoTime();
    String[] cmd = concat(new String[] {"bin/cluster", "submit", "--deploy-mode", "cluster", "--conf",
        "spark.standalone.submit.waitAppCompletion=true", "--driver-memory", "1g", "--class", "io.sparkprop.driver.cli.Sparkprop",
        "--total-executor-cores", "2", "--executor-memory", "768m", clusterJar}, train("cluster-mode", SHORT));
    run("cluster-mode", 300, cmd);
    assertTrue(Files.exists(work.resolve("cluster-mode/weights.bin")), "the driver on a worker wrote the model");
    assertArrayEquals(weights("local-short"), weights("cluster-mode"), "cluster deploy mode vs local[2]");
    time("generated data, cluster deploy mode", t0);
  }

  @Test
  @Order(3)
  void fashionMnist_clientMode_byteIdenticalToLocal() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(new File("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").exists()
        || new File("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte").exists(), "dataset-fashion-mnist is installed");
    long t0 = System.nanoTime();
    String[] fm = {"--config", REPO.resolve("conf/fashion-mnist.conf").toString(), "--set", "training.epochs=1",
        "--set", "output.dir=" + work.resolve("runs-fm")};
    run("local-fm", 300, concat(new String[] {"bin/sparkprop", "train"}, fm,
        new String[] {"--set", "output.model=" + work.resolve("local-fm"), "--master", "local[2]"}));
    run("client-fm", 300, submit(concat(new String[] {"train"}, fm, new String[] {"--set", "output.model=" + work.resolve("client-fm")})));
    assertArrayEquals(weights("local-fm"), weights("client-fm"), "Fashion-MNIST: cluster vs local[2]");
    time("Fashion-MNIST, client mode", t0);
  }

  @Test
  @Order(4)
  void sparkMlPipeline_fitsSavesAndReloadsOnTheCluster() throws Exception {
    long t0 = System.nanoTime();
    Path appJar = work.resolve("pipeline-app.jar");
    run("app-jar", 60, Path.of(System.getProperty("java.home"), "bin", "jar").toString(), "cf", appJar.toString(), "-C",
        REPO.resolve("driver/target/test-classes").toString(), "io/sparkprop/driver/it/PipelineApp.class");
    String out = run("pipeline", 300, "bin/cluster", "submit", "--class", PipelineApp.class.getName(), "--total-executor-cores", "2",
        "--executor-memory", "768m", "--jars", clusterJar, appJar.toString(), work.resolve("pipeline-model").toString());
    assertTrue(out.contains("pipeline ok: accuracy"), out);
    assertTrue(Files.isDirectory(work.resolve("pipeline-model/stages")), "a saved PipelineModel");
    time("Spark ML pipeline", t0);
  }

  @Test
  @Order(5)
  void executorKilledMidTraining_sameWeights() throws Exception {
    long t0 = System.nanoTime();
    run("local-long", 300, local("local-long", LONG));
    Process p = builder("exec-kill", submit(train("exec-kill", LONG))).start();
    await(p, "exec-kill", "epoch   1/5");
    List<ProcessHandle> ex = executors();
    assertEquals(2, ex.size(), "executor JVMs: " + ex);
    ex.get(0).destroyForcibly(); // SIGKILL: the task is retried, the worker starts a replacement
    finish(p, "exec-kill");
    assertArrayEquals(weights("local-long"), weights("exec-kill"), "an executor killed mid-run");
    time("executor SIGKILL", t0);
  }

  @Test
  @Order(6)
  void driverKilledMidTraining_rerunResumesToTheSameWeights() throws Exception {
    long t0 = System.nanoTime();
    Path ckpt = work.resolve("ckpt");
    String[] job = submit(train("driver-kill", concat(LONG, new String[] {"--set", "output.checkpoints=" + ckpt,
        "--set", "output.checkpoint-every-steps=50"})));
    Process p = builder("driver-kill-1", job).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (!hasCheckpoint(ckpt) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
    assertTrue(p.isAlive(), "the driver was still training at its first checkpoint:\n" + Files.readString(work.resolve("driver-kill-1.log")));
    p.destroyForcibly(); // the client-mode driver is the spark-submit JVM
    p.waitFor();
    assertFalse(Files.exists(work.resolve("driver-kill")));
    String out = run("driver-kill-2", 300, job);
    assertTrue(out.contains("resuming from"), out);
    assertArrayEquals(weights("local-long"), weights("driver-kill"), "a driver killed mid-run, then rerun");
    time("driver SIGKILL + rerun", t0);
  }

  static boolean hasCheckpoint(Path ckpt) {
    File[] f = ckpt.toFile().listFiles((d, n) -> n.startsWith("ckpt-"));
    return f != null && f.length > 0;
  }

  @Test
  @Order(7)
  void workerKilledMidTraining_sameWeights() throws Exception {
    long t0 = System.nanoTime();
    Process p = builder("worker-kill", submit(train("worker-kill", LONG))).start();
    await(p, "worker-kill", "epoch   1/5");
    List<ProcessHandle> ex = executors();
    assertEquals(2, ex.size(), "executor JVMs: " + ex);
    ProcessHandle victim = ex.get(0);
    ProcessHandle worker = victim.parent().orElseThrow();
    worker.destroyForcibly(); // the worker first, then its executor, both SIGKILL
    victim.destroyForcibly();
    finish(p, "worker-kill");
    assertArrayEquals(weights("local-long"), weights("worker-kill"), "a worker and its executor killed mid-run");
    String remaining = workerPids().stream().filter(w -> ProcessHandle.of(w).map(ProcessHandle::isAlive).orElse(false))
        .map(String::valueOf).collect(Collectors.joining(","));
    assertEquals(2, remaining.split(",").length, "two workers left: " + remaining);
    time("worker SIGKILL", t0);
  }
}
