package io.sparkprop.driver.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Executor faults on every cluster path, on a real standalone cluster (two workers of two cores,
 * from {@code bin/cluster}): for each path, one job whose executors SIGKILL themselves at named
 * points ({@code ExecutorFaults}) that together cover every phase of a run, packing, a step's
 * gradient, between a step's two jobs, the reduce job, evaluation and a step while a checkpoint
 * is being written. Each job must end with exit 0 and weights byte-identical to the same run in
 * local mode, and each kill must have happened (its marker file names the phase, step and
 * executor; printed, so a run that missed a phase is visible). Last, the application is killed
 * outright (what Spark cannot survive): one line says so and where a rerun resumes, and the rerun
 * ends byte-identical.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFaultsIT {
  static final Path REPO = StandaloneClusterIT.REPO;
  static Path work;
  static Path state;
  static String clusterJar;
  static String masterUi;
  static long started;
  static final List<String> hits = new ArrayList<>();

  /** 12,000 spirals, 5 epochs of 94 steps, validation and patience on: long enough for kills in every phase. */
  static final String[] RUN = {"--set", "data.generator.rows=12000", "--set", "training.epochs=5", "--set", "training.patience=3"};

  @BeforeAll
  static void startCluster() throws Exception {
    started = System.nanoTime();
    work = Files.createTempDirectory("sparkprop-faults");
    state = work.resolve("cluster");
    clusterJar = StandaloneClusterIT.findClusterJar();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> StandaloneClusterIT.stopQuietly(state)));
    String url = run("cluster-start", 180, "bin/cluster", "start", "--workers", "2", "--cores", "2", "--memory", "1g").trim();
    assertTrue(url.matches("(?s).*spark://127\\.0\\.0\\.1:\\d+"), url);
    Matcher ui = Pattern.compile("web UI (http://\\S+?)/?,").matcher(run("cluster-status", 60, "bin/cluster", "status"));
    assertTrue(ui.find(), "bin/cluster status names the master's web UI");
    masterUi = ui.group(1);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    run("cluster-stop", 60, "bin/cluster", "stop");
    System.out.println("kills by phase:\n  " + String.join("\n  ", hits));
    System.out.printf("cluster fault suite: %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  static ProcessBuilder builder(String name, String... cmd) {
    return StandaloneClusterIT.builder(work, state, name, cmd);
  }

  static String run(String name, int timeoutSeconds, String... cmd) throws Exception {
    return StandaloneClusterIT.run(work, state, name, timeoutSeconds, cmd);
  }

  static String[] train(String model, String... more) {
    return StandaloneClusterIT.concat(new String[] {"train", "--config", REPO.resolve("conf/quickstart.conf").toString(),
        "--set", "output.dir=" + work.resolve("runs"), "--set", "output.model=" + work.resolve(model)}, RUN, more);
  }

  /** spark-submit to this suite's cluster; {@code kills}: PHASE:AT entries, each given a marker file of its own. */
  static String[] submit(String name, List<String> kills, String[] sparkConf, String[] appArgs) {
    List<String> cmd = new ArrayList<>(List.of("bin/cluster", "submit", "--class", "io.sparkprop.driver.cli.Sparkprop",
        "--executor-memory", "768m", "--conf", "spark.executorEnv.OPENBLAS_NUM_THREADS=1"));
    cmd.addAll(List.of(sparkConf));
    if (!kills.isEmpty()) {
      String spec = kills.stream().map(k -> k + ":" + marker(name, k)).collect(Collectors.joining(","));
      cmd.addAll(List.of("--conf", "spark.executorEnv.SPARKPROP_TEST_EXECUTOR_KILL=" + spec));
    }
    cmd.add(clusterJar);
    cmd.addAll(List.of(appArgs));
    return cmd.toArray(String[]::new);
  }

  static Path marker(String name, String kill) {
    return work.resolve("kills").resolve(name + "-" + kill.replace(':', '-'));
  }

  static byte[] weights(String model) throws Exception {
    return Files.readAllBytes(work.resolve(model).resolve("weights.bin"));
  }

  /**
   * The local-mode reference of a path: the same partitions, grouped {@code threadsPerTask} to a
   * task as the cluster groups them (the gradients of a group are added in its task, so the
   * grouping fixes the order of the additions), computed once per shape.
   */
  static String reference(int partitions, int threadsPerTask) throws Exception {
    String model = "local-p" + partitions + "-t" + threadsPerTask;
    if (!Files.exists(work.resolve(model).resolve("weights.bin"))) {
      run(model, 300, StandaloneClusterIT.concat(new String[] {"bin/sparkprop"}, train(model, "--set", "training.partitions=" + partitions,
          "--set", "training.threads-per-task=" + threadsPerTask), new String[] {"--master", "local[2]"}));
    }
    return model;
  }

  /** Runs one path with its kills; requires exit 0, every kill to have happened and the local run's weights. */
  static void survives(String name, int partitions, int threadsPerTask, List<String> kills, String[] sparkConf, String... settings)
      throws Exception {
    long t0 = System.nanoTime();
    String ref = reference(partitions, threadsPerTask);
    Files.createDirectories(work.resolve("kills"));
    String[] app = train(name, StandaloneClusterIT.concat(settings, new String[] {"--set", "training.partitions=" + partitions,
        "--set", "output.checkpoints=" + work.resolve("ckpt-" + name), "--set", "output.checkpoint-every-steps=50"}));
    String out = run(name, 600, submit(name, kills, sparkConf, app));
    for (String k : kills) {
      Path m = marker(name, k);
      assertTrue(Files.exists(m), name + ": the kill " + k + " never happened (the run ended first):\n" + out);
      hits.add(name + ": " + Files.readString(m).trim());
    }
    assertArrayEquals(weights(ref), weights(name), name + ": weights after " + kills.size() + " executor kills vs local mode");
    System.out.printf("%s: %d kills survived in %.1f s%n", name, kills.size(), (System.nanoTime() - t0) / 1e9);
  }

  static final String[] TWO_EXECUTORS = {"--total-executor-cores", "2", "--executor-cores", "1"};

  @Test
  @Order(1)
  void gradientsSummedOnTheDriver() throws Exception {
    // gradient:251 falls one step after the checkpoint of step 250 started: a kill while it is written
    survives("driver-sum", 2, 1, List.of("pack:1", "gradient:60", "evaluate:2", "gradient:251"), TWO_EXECUTORS,
        "--set", "training.gradient-reduce=driver");
  }

  @Test
  @Order(2)
  void executorSideReduction() throws Exception {
    survives("executor-reduce", 2, 1, List.of("pack:1", "stored:30", "reduce:150", "gradient:251", "evaluate:3"), TWO_EXECUTORS,
        "--set", "training.gradient-reduce=executors");
  }

  @Test
  @Order(3)
  void oneTaskPerExecutorWithTwoThreads() throws Exception {
    // 4 partitions on 2 executors of 2 cores: spark.task.cpus = 2 groups two partitions into each step task
    survives("task-cpus-2", 4, 2, List.of("pack:1", "gradient:60", "evaluate:2"),
        new String[] {"--total-executor-cores", "4", "--executor-cores", "2", "--conf", "spark.task.cpus=2"},
        "--set", "training.gradient-reduce=driver");
  }

  @Test
  @Order(4)
  void dataInExecutorsLocalFiles() throws Exception {
    survives("disk-placement", 2, 1, List.of("pack:1", "gradient:60", "evaluate:2"), TWO_EXECUTORS,
        "--set", "training.data-placement=disk", "--set", "training.gradient-reduce=driver");
  }

  @Test
  @Order(5)
  void applicationKilled_oneLineNamesTheCheckpoint_andTheRerunResumes() throws Exception {
    long t0 = System.nanoTime();
    String ref = reference(2, 1);
    Path ckpt = work.resolve("ckpt-app-kill");
    // one job per step: streamed, this fit ends within two seconds, before the kill could land in
    // it (an application killed mid-stream fails the same way; StepStreamTest cancels one)
    String[] job = submit("app-kill", List.of(), TWO_EXECUTORS, train("app-kill", "--set", "output.checkpoints=" + ckpt,
        "--set", "output.checkpoint-every-steps=50", "--set", "training.steps-per-job=1"));
    Process p = builder("app-kill-1", job).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (!StandaloneClusterIT.hasCheckpoint(ckpt) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
    assertTrue(p.isAlive(), "still training at the first checkpoint:\n" + Files.readString(work.resolve("app-kill-1.log")));
    killApplication(); // as an operator (or a resource manager) would: every executor goes, the context stops
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the driver exits once its application is killed");
    String out = Files.readString(work.resolve("app-kill-1.log"));
    assertEquals(1, p.exitValue(), out);
    List<String> lines = out.lines().filter(l -> l.startsWith("sparkprop: failed:")).toList();
    assertEquals(1, lines.size(), "one failure line:\n" + out);
    // Spark names either the removal ("Master removed our application: KILLED") or the context it then stopped
    assertTrue(lines.get(0).contains("Spark could not finish training: ")
        && lines.get(0).contains("; rerunning the same command resumes from the last checkpoint, " + ckpt), lines.get(0));
    assertFalse(Files.exists(work.resolve("app-kill")), "no model is written by a failed run");
    String again = run("app-kill-2", 300, job);
    assertTrue(again.contains("resuming from"), again);
    assertArrayEquals(weights(ref), weights("app-kill"), "killed application, then rerun, vs local mode");
    System.out.printf("application killed + rerun: %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  /** Kills the running application through the master's web UI (the Kill link of its applications page). */
  static void killApplication() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String json = http.send(HttpRequest.newBuilder(URI.create(masterUi + "/json/")).build(), HttpResponse.BodyHandlers.ofString()).body();
    Matcher active = Pattern.compile("\"activeapps\"\\s*:\\s*\\[\\s*\\{[^}]*?\"id\"\\s*:\\s*\"(app-[^\"]+)\"").matcher(json);
    assertTrue(active.find(), "an active application on the master: " + json);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(masterUi + "/app/kill/?id=" + active.group(1) + "&terminate=true"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() < 400, "kill request: HTTP " + r.statusCode() + " " + r.body());
  }
}
