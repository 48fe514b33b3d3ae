package io.sparkprop.driver.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.driver.registry.Registry;
import io.sparkprop.driver.registry.RegistryCrashMain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Sparkprop against a real HDFS ({@code bin/hdfs}: a namenode and a datanode in a JVM of their
 * own, reached over HDFS's RPC): the README's cron line and Airflow task as written (only the
 * namenode's address, the paths on this machine and the date filled in), data read from HDFS
 * giving the weights the same files give from local disk, checkpoints on HDFS surviving a killed
 * driver, and the registry's guarantees where HDFS differs from a local disk (create without
 * overwrite, rename onto a directory, leases): racing jobs, a JVM halted at every publishing step.
 * A day's data is a slice of Fashion-MNIST.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HdfsIT {
  static final Path REPO = StandaloneClusterIT.REPO;
  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  static final String DAY = LocalDate.now().toString(); // what the cron line's $(date +%F) gives
  static Path work;
  static MiniHdfs hdfs;
  static long started;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(Files.exists(FASHION.resolve("train-images-idx3-ubyte.gz")), "dataset-fashion-mnist is installed");
    started = System.nanoTime();
    work = Files.createTempDirectory("sparkprop-hdfs-it");
    long t0 = System.nanoTime();
    hdfs = MiniHdfs.start(work.resolve("hdfs"));
    System.out.printf("HDFS up in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, hdfs.url);
    // the day's training data and the fixed holdout, as the nightly job finds them
    Path local = Files.createDirectories(work.resolve("data"));
    MiniHdfs.idxSlice(FASHION.resolve("train-images-idx3-ubyte.gz"), FASHION.resolve("train-labels-idx1-ubyte.gz"), 0, 6000,
        local.resolve(DAY));
    MiniHdfs.idxSlice(FASHION.resolve("t10k-images-idx3-ubyte.gz"), FASHION.resolve("t10k-labels-idx1-ubyte.gz"), 0, 2000,
        local.resolve("holdout"));
    for (String f : List.of(DAY + "-images-idx3-ubyte.gz", DAY + "-labels-idx1-ubyte.gz", "holdout-images-idx3-ubyte.gz",
        "holdout-labels-idx1-ubyte.gz")) {
      hdfs.put(local.resolve(f), "/data/fashion/" + f);
    }
    csv(local.resolve(DAY), local.resolve("day.csv"));
    hdfs.put(local.resolve("day.csv"), "/data/fashion/day.csv");
    parquet(local.resolve("day.csv"), local.resolve("day.parquet"));
    hdfs.put(local.resolve("day.parquet"), "/data/fashion/day.parquet");
  }

  @AfterAll
  static void stop() throws Exception {
    if (hdfs != null) hdfs.close();
    if (work != null) StandaloneClusterIT.stopQuietly(work.resolve("cluster"));
    System.out.printf("HDFS suite: %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  /** Writes an IDX slice as CSV with a header: label, then the 784 pixels. */
  static void csv(Path idxPrefix, Path out) throws IOException {
    byte[] img = gunzip(Path.of(idxPrefix + "-images-idx3-ubyte.gz"));
    byte[] lab = gunzip(Path.of(idxPrefix + "-labels-idx1-ubyte.gz"));
    int n = lab.length - 8;
    StringBuilder b = new StringBuilder("label");
    for (int j = 0; j < 784; j++) b.append(",p").append(j);
    b.append('\n');
    for (int i = 0; i < n; i++) {
      b.append(lab[8 + i]);
      for (int j = 0; j < 784; j++) b.append(',').append(img[16 + i * 784 + j] & 0xff);
      b.append('\n');
    }
    Files.writeString(out, b);
  }

  /** Writes the CSV as Parquet with a vector column {@code features} and {@code label}, with a local SparkSession. */
  static void parquet(Path csv, Path out) {
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]").appName("hdfs-it-data")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    try {
      org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> df = spark.read().option("header", "true").option("inferSchema", "true")
          .csv(csv.toString());
      String[] pixels = new String[784];
      for (int j = 0; j < pixels.length; j++) pixels[j] = "p" + j;
      new org.apache.spark.ml.feature.VectorAssembler().setInputCols(pixels).setOutputCol("features").transform(df)
          .select("features", "label").coalesce(1).write().parquet(out.toString());
    } finally {
      spark.stop();
    }
  }

  static byte[] gunzip(Path p) throws IOException {
    try (var in = new GZIPInputStream(Files.newInputStream(p))) {
      return in.readAllBytes();
    }
  }

  static ProcessBuilder builder(String name, String... cmd) {
    ProcessBuilder b = new ProcessBuilder(cmd).directory(REPO.toFile()).redirectErrorStream(true)
        .redirectOutput(work.resolve(name + ".log").toFile());
    b.environment().put("SPARKPROP_CLUSTER_DIR", work.resolve("cluster").toString());
    return b;
  }

  /** Runs to completion; returns the exit code (the output is in {@code name}.log). */
  static int exec(String name, int timeoutSeconds, ProcessBuilder b) throws Exception {
    Process p = b.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(name + " did not finish in " + timeoutSeconds + " s:\n" + log(name));
    }
    return p.exitValue();
  }

  static String run(String name, String... cmd) throws Exception {
    int code = exec(name, 600, builder(name, cmd));
    assertEquals(0, code, name + " exited with " + code + ":\n" + log(name));
    return log(name);
  }

  static String log(String name) throws IOException {
    return Files.readString(work.resolve(name + ".log"));
  }

  static String[] concat(String[]... parts) {
    return StandaloneClusterIT.concat(parts);
  }

  /** Fashion-MNIST's shipped config, one epoch, into this suite's folders. */
  static String[] train(String model, String... more) {
    return concat(new String[] {"bin/sparkprop", "train", "--config", "conf/fashion-mnist.conf", "--set", "training.epochs=1",
        "--set", "output.dir=" + work.resolve("runs"), "--set", "output.model=" + model}, more);
  }

  /** A README example with HDFS at this suite's namenode and this machine's paths. */
  static String onThisMachine(String line) {
    return line.replace("hdfs:///", hdfs.url + "/").replace("cd /srv/sparkprop", "cd " + REPO)
        .replace("/var/log/", work + "/").replace("\\%", "%");
  }

  /** The README's lines between the one starting with {@code start} and the next ``` fence. */
  static String readme(String start) throws IOException {
    List<String> lines = Files.readAllLines(REPO.resolve("README.md"));
    StringBuilder b = new StringBuilder();
    boolean in = false;
    for (String l : lines) {
      if (!in && l.trim().startsWith(start)) in = true;
      if (in && l.startsWith("```")) break;
      if (in) b.append(l).append('\n');
    }
    assertFalse(b.isEmpty(), "README.md has a line starting with " + start);
    return b.toString();
  }

  Registry registry(String path) {
    Configuration conf = new Configuration();
    return Registry.open(hdfs.path(path), conf);
  }

  @Test
  @Order(1)
  void readmeCronLine_publishesOnHdfs_thenGatesTheNextNight() throws Exception {
    long t0 = System.nanoTime();
    String cron = readme("30 2 * * *");
    String command = onThisMachine(cron.substring(cron.indexOf("cd /srv"))).trim();
    Path logFile = work.resolve("sparkprop-retrain.log");
    exec("cron-1", 600, builder("cron-1", "bash", "-c", command));
    String night1 = Files.readString(logFile);
    assertTrue(night1.contains("published v0001"), night1);
    Registry r = registry("/models/fashion");
    assertEquals("v0001", r.current());
    r.verify("v0001");
    assertFalse(hdfs.exists("/ckpt/fashion-nightly") && hdfs.fs.listStatus(new org.apache.hadoop.fs.Path(hdfs.path("/ckpt/fashion-nightly"))).length > 0,
        "retrain deletes its checkpoints when it finishes");
    exec("cron-2", 600, builder("cron-2", "bash", "-c", command));
    String night2 = Files.readString(logFile).substring(night1.length());
    assertTrue(night2.contains("published v0002") || night2.contains("gate refused"), night2);
    r.verify(r.current());
    System.out.printf("README cron line, two nights on HDFS: %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  @Test
  @Order(2)
  void idxCsvAndParquetFromHdfs_sameWeightsAsFromLocalFiles() throws Exception {
    long t0 = System.nanoTime();
    Path local = work.resolve("data");
    run("idx-local", train(work.resolve("idx-local").toString(), "--set", "data.train=" + local.resolve(DAY)));
    run("idx-hdfs", train(hdfs.path("/models/idx-hdfs"), "--set", "data.train=" + hdfs.path("/data/fashion/" + DAY)));
    assertArrayEquals(Files.readAllBytes(work.resolve("idx-local/weights.bin")), hdfs.read("/models/idx-hdfs/weights.bin"),
        "IDX: HDFS vs local files");
    String[] csv = {"--set", "data.format=csv", "--set", "data.test=", "--set", "data.label-columns=[label]"};
    run("csv-local", train(work.resolve("csv-local").toString(), concat(csv, new String[] {"--set", "data.train=" + local.resolve("day.csv")})));
    run("csv-hdfs", train(hdfs.path("/models/csv-hdfs"), concat(csv, new String[] {"--set", "data.train=" + hdfs.path("/data/fashion/day.csv")})));
    assertArrayEquals(Files.readAllBytes(work.resolve("csv-local/weights.bin")), hdfs.read("/models/csv-hdfs/weights.bin"),
        "CSV: HDFS vs local files");
    String[] pq = {"--set", "data.format=parquet", "--set", "data.test=", "--set", "data.label-columns=[label]",
        "--set", "data.feature-columns=[features]"};
    run("parquet-local", train(work.resolve("parquet-local").toString(), concat(pq, new String[] {"--set", "data.train=" + local.resolve("day.parquet")})));
    run("parquet-hdfs", train(hdfs.path("/models/parquet-hdfs"), concat(pq, new String[] {"--set", "data.train=" + hdfs.path("/data/fashion/day.parquet")})));
    assertArrayEquals(Files.readAllBytes(work.resolve("parquet-local/weights.bin")), hdfs.read("/models/parquet-hdfs/weights.bin"),
        "Parquet: HDFS vs local files");
    System.out.printf("IDX, CSV and Parquet from HDFS vs local files: %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  @Test
  @Order(3)
  void checkpointsOnHdfs_killedDriverResumesToTheSameWeights() throws Exception {
    long t0 = System.nanoTime();
    String[] more = {"--set", "training.epochs=3", "--set", "data.train=" + hdfs.path("/data/fashion/" + DAY)};
    String whole = run("ckpt-whole", train(work.resolve("ckpt-whole").toString(),
        concat(more, new String[] {"--set", "output.checkpoints=" + hdfs.path("/ckpt/whole"), "--set", "output.checkpoint-every-steps=10"})));
    String overhead = whole.lines().filter(l -> l.startsWith("checkpoints:")).findFirst().orElseThrow(() -> new AssertionError(whole));
    System.out.println("checkpoints on HDFS every 10 steps: " + overhead);

    String ckpt = "/ckpt/killed";
    String[] job = train(work.resolve("ckpt-killed").toString(),
        concat(more, new String[] {"--set", "output.checkpoints=" + hdfs.path(ckpt), "--set", "output.checkpoint-every-steps=40"}));
    Process p = builder("ckpt-killed-1", job).start(); // bin/sparkprop execs the JVM: this is the driver
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (p.isAlive() && System.nanoTime() < deadline && checkpoints(ckpt).isEmpty()) Thread.sleep(50);
    assertTrue(p.isAlive(), "still training at its first checkpoint:\n" + log("ckpt-killed-1"));
    p.destroyForcibly(); // SIGKILL, possibly while the next checkpoint is being written
    p.waitFor();
    String again = run("ckpt-killed-2", job);
    assertTrue(again.contains("resuming from " + hdfs.path(ckpt) + "/ckpt-"), again);
    assertArrayEquals(Files.readAllBytes(work.resolve("ckpt-whole/weights.bin")), Files.readAllBytes(work.resolve("ckpt-killed/weights.bin")),
        "killed on HDFS checkpoints, then resumed");
    System.out.printf("checkpoints on HDFS, driver SIGKILL + resume: %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  List<String> checkpoints(String dir) throws IOException {
    if (!hdfs.exists(dir)) return List.of();
    return Arrays.stream(hdfs.fs.listStatus(new org.apache.hadoop.fs.Path(hdfs.path(dir)))).map(s -> s.getPath().getName())
        .filter(n -> n.startsWith("ckpt-")).toList();
  }

  @Test
  @Order(4)
  void racingRetrains_oneRunsTheOtherExits2_thenRefusePublishAndRollback() throws Exception {
    long t0 = System.nanoTime();
    String[] retrain = {"bin/sparkprop", "retrain", "--registry", hdfs.path("/models/race"), "--config", "conf/quickstart.conf",
        "--set", "training.epochs=2"};
    Process a = builder("race-a", retrain).start();
    Process b = builder("race-b", retrain).start();
    assertTrue(a.waitFor(300, TimeUnit.SECONDS) && b.waitFor(300, TimeUnit.SECONDS), "both finish");
    int[] codes = {a.exitValue(), b.exitValue()};
    String both = "a: " + codes[0] + "\n" + log("race-a") + "\nb: " + codes[1] + "\n" + log("race-b");
    Arrays.sort(codes);
    assertArrayEquals(new int[] {0, 2}, codes, both);
    String loser = a.exitValue() == 2 ? log("race-a") : log("race-b");
    assertTrue(loser.contains("sparkprop: error: ") && loser.contains("is locked by another job"), loser);
    assertFalse(loser.contains("\tat "), "no stack trace for a lock held by another job:\n" + loser);
    assertEquals(List.of("v0001"), registry("/models/race").versions());
    System.out.printf("racing retrains on HDFS: %.1f s%n", (System.nanoTime() - t0) / 1e9);

    // from v0001, one epoch at this rate ends worse on the holdout (the same bits on every run): refused
    String[] worse = concat(retrain, new String[] {"--set", "training.epochs=1", "--set", "optimizer.learning-rate=2.0"});
    assertEquals(3, exec("refused", 300, builder("refused", worse)), log("refused"));
    assertTrue(log("refused").contains("gate refused: ") && log("refused").contains("v0001 stays current"), log("refused"));
    assertEquals("v0001", registry("/models/race").current());
    assertTrue(hdfs.fs.listStatus(new org.apache.hadoop.fs.Path(hdfs.path("/models/race/rejected"))).length == 1, "the candidate kept");
    String[] better = concat(retrain, new String[] {"--set", "training.epochs=1", "--set", "optimizer.learning-rate=5.0"});
    assertTrue(run("published", better).contains("published v0002"), log("published"));
    String back = run("rollback", "bin/sparkprop", "registry", "rollback", "--registry", hdfs.path("/models/race"));
    assertEquals("v0001", registry("/models/race").current(), back);
    registry("/models/race").verify("v0001");
  }

  @Test
  @Order(5)
  void jvmHaltedAtEachPublishingStep_leavesCurrentComplete_andTheNextJobTakesOver() throws Exception {
    long t0 = System.nanoTime();
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> points = List.of("publish:after-model-written", "publish:before-version-rename", "publish:after-version-written",
        "publish:before-current-rename", "publish:after-current-rename");
    for (int i = 0; i < points.size(); i++) {
      String root = hdfs.path("/models/crash-" + i);
      assertEquals(0, exec("crash-" + i + "-first", 120, builder("crash-" + i + "-first", java, "-cp", cp,
          RegistryCrashMain.class.getName(), root, "1")), log("crash-" + i + "-first"));
      String name = "crash-" + i;
      int code = exec(name, 120, builder(name, java, "-Dsparkprop.test.halt-at=" + points.get(i), "-cp", cp,
          RegistryCrashMain.class.getName(), root, "2"));
      assertEquals(137, code, "halted at " + points.get(i) + ":\n" + log(name));
      Registry r = Registry.open(root, new Configuration());
      boolean moved = points.get(i).equals("publish:after-current-rename");
      assertEquals(moved ? "v0002" : "v0001", r.current(), points.get(i));
      for (String v : r.versions()) r.verify(v); // every visible version is complete, checksums verified
      staleLocks("/models/crash-" + i); // the halted job's heartbeat stopped long ago
      String next = "crash-" + i + "-next";
      assertEquals(0, exec(next, 120, builder(next, java, "-cp", cp, RegistryCrashMain.class.getName(), root, "3")), log(next));
      assertTrue(log(next).contains("took over the lock"), log(next));
      Registry after = Registry.open(root, new Configuration());
      assertEquals(after.versions().get(after.versions().size() - 1), after.current());
      after.verify(after.current());
    }
    System.out.printf("JVM halted at %d publishing steps on HDFS, each taken over: %.1f s%n", points.size(),
        (System.nanoTime() - t0) / 1e9);
  }

  /** Sets every lock generation's time two minutes back, as if its holder had stopped then. */
  void staleLocks(String registry) throws IOException {
    for (FileStatus s : hdfs.fs.listStatus(new org.apache.hadoop.fs.Path(hdfs.path(registry)))) {
      if (s.getPath().getName().startsWith("LOCK") && s.getModificationTime() > 0) {
        hdfs.fs.setTimes(s.getPath(), System.currentTimeMillis() - 120_000, -1);
      }
    }
  }

  @Test
  @Order(6)
  void readmeAirflowTask_onAStandaloneCluster_readsAndPublishesOnHdfs() throws Exception {
    long t0 = System.nanoTime();
    String url = run("cluster-start", "bin/cluster", "start", "--workers", "2", "--cores", "1", "--memory", "1g");
    assertTrue(url.trim().matches("(?s).*spark://127\\.0\\.0\\.1:\\d+"), url);
    String task = readme("retrain = BashOperator(");
    String command = String.join("", pythonStrings(task.substring(task.indexOf("bash_command=("), task.indexOf("),"))));
    String cmd = onThisMachine(command).replace("{{ ds }}", DAY)
        .replace("spark-submit --master yarn --deploy-mode client", "bin/cluster submit --executor-memory 768m")
        .replace("sparkprop-driver-0.1.0-SNAPSHOT-cluster.jar", StandaloneClusterIT.findClusterJar());
    assertTrue(cmd.startsWith("bin/cluster submit "), cmd);
    int code = exec("airflow", 600, builder("airflow", "bash", "-c", cmd));
    assertTrue(code == 0 || code == 3, "exit " + code + " (3 is skip_on_exit_code):\n" + log("airflow"));
    String out = log("airflow");
    assertTrue(out.contains("master spark://127.0.0.1:"), out);
    Registry r = registry("/models/fashion");
    r.verify(r.current());
    assertTrue(code == 3 || out.contains("published " + r.current()), out);
    run("cluster-stop", "bin/cluster", "stop");
    System.out.printf("README Airflow task on a standalone cluster with HDFS: %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  /** The contents of the double-quoted Python string literals in {@code code}, in order. */
  static List<String> pythonStrings(String code) {
    List<String> out = new ArrayList<>();
    var m = java.util.regex.Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(code);
    while (m.find()) out.add(m.group(1));
    return out;
  }
}
