package io.sparkprop.driver.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.job.Session;
import io.sparkprop.driver.job.TrainingJob;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * The step a cluster pays, split into its parts: the command line's own training job (the
 * pipeline {@code sparkprop train} runs, here in client mode) on a given master, with the shipped
 * Fashion-MNIST config and the 10,000 test images as the per-epoch validation set, beside an empty
 * job of as many tasks on the same master, measured in the same application after training.
 *
 * <p>Per epoch (medians over its steps): the step on the driver; the driver's encoding and
 * broadcast of the weights (streamed steps: their encoding and sending to every task); the
 * slowest task's time to get them (torrent fetch and decode; streamed: read and decode) and its
 * compute; for steps that are jobs of their own, the slowest task's deserialization (Spark's task
 * metric, whole milliseconds) and the job as the driver saw it minus the slowest task's run time
 * (launch, scheduling, result transfer), "-" for streamed steps, which have no job; the
 * optimizer update; the step minus the slowest task. Prints Markdown.
 *
 * <p>Usage: {@code ClusterStepBenchmark MASTER PARTITIONS EPOCHS [KEY=VALUE ...]} (EPOCHS 0: the config's own) (overrides of
 * conf/fashion-mnist.conf, or of the config that {@code -Dsparkprop.bench.config} names); executors load the classes from this JVM's class path
 * (spark.executor.extraClassPath), which a cluster on this machine can read.
 */
public final class ClusterStepBenchmark {
  private ClusterStepBenchmark() {}

  private static final Pattern STEP = Pattern.compile("\\(global step (\\d+)\\)");

  /** One step job as the listener saw it. */
  static final class Job {
    final long step;
    final long start;
    long end;
    long maxRunMs;
    long maxDeserializeMs;
    long maxDurationMs;

    Job(long step, long start) {
      this.step = step;
      this.start = start;
    }
  }

  /** Step jobs by job id, from the scheduler's events. */
  static final class Listener extends SparkListener {
    final Map<Integer, Job> jobs = new ConcurrentHashMap<>();
    final Map<Integer, Integer> stageToJob = new ConcurrentHashMap<>();

    @Override
    public void onJobStart(SparkListenerJobStart e) {
      String d = e.properties() == null ? null : e.properties().getProperty("spark.job.description");
      if (d == null) return;
      Matcher m = STEP.matcher(d);
      if (!m.find() || d.contains("reduce")) return;
      jobs.put(e.jobId(), new Job(Long.parseLong(m.group(1)), e.time()));
      for (scala.collection.Iterator<Object> it = e.stageIds().iterator(); it.hasNext();) {
        stageToJob.put((Integer) it.next(), e.jobId());
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
      Integer id = stageToJob.get(e.stageId());
      Job j = id == null ? null : jobs.get(id);
      if (j == null || e.taskMetrics() == null) return;
      synchronized (j) {
        j.maxRunMs = Math.max(j.maxRunMs, e.taskMetrics().executorRunTime());
        j.maxDeserializeMs = Math.max(j.maxDeserializeMs, e.taskMetrics().executorDeserializeTime());
        j.maxDurationMs = Math.max(j.maxDurationMs, e.taskInfo().duration());
      }
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd e) {
      Job j = jobs.get(e.jobId());
      if (j != null) j.end = e.time();
    }
  }

  public static void main(String[] args) throws Exception {
    String master = args[0];
    int partitions = Integer.parseInt(args[1]);
    int epochs = Integer.parseInt(args[2]);
    List<String> extra = Arrays.asList(args).subList(3, args.length);
    System.out.println(run(master, partitions, epochs, extra));
  }

  static String run(String master, int partitions, int epochs, List<String> extra) throws Exception {
    Path out = Files.createTempDirectory("sparkprop-cluster-step");
    List<String> sets = new ArrayList<>(List.of("training.partitions=" + partitions,
        "data.validation=/usr/share/datasets/fashion-mnist/t10k", "data.validation-fraction=0", "output.step-metrics=true",
        "output.dir=" + out, "output.model=\"\"", "output.checkpoints=\"\"", "run.name=cluster-step"));
    if (epochs > 0) sets.add("training.epochs=" + epochs); // else the config's own
    sets.addAll(extra);
    JobConfig cfg = JobConfig.load(System.getProperty("sparkprop.bench.config", "conf/fashion-mnist.conf"), sets);
    boolean local = master.startsWith("local");
    if (!local) {
      System.setProperty("spark.executor.extraClassPath", System.getProperty("java.class.path"));
      System.setProperty("spark.executor.cores", "1");
    }
    Listener listener = new Listener();
    double emptyMs;
    try (Session spark = Session.open(master, "sparkprop-cluster-step", "ERROR")) {
      int cores = Integer.parseInt(System.getProperty("spark.cores.max", "2")); // bin/bench-cluster sets it
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (!local && spark.sc().getExecutorIds().size() < cores) {
        if (System.nanoTime() > deadline) throw new IllegalStateException(cores + " executors did not register in 120 s");
        Thread.sleep(100);
      }
      spark.sc().addSparkListener(listener);
      PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
      try (TrainingJob.Result r = TrainingJob.run(spark, cfg, quiet, true, "")) {
        spark.sc().listenerBus().waitUntilEmpty();
      }
      // after training, as warm as the steps it is compared with (a fresh JVM's first hundreds of jobs cost several times more)
      emptyMs = emptyJobMillis(spark, partitions);
    }
    return table(master, partitions, out.resolve("metrics.jsonl"), listener, emptyMs);
  }

  /** Median of an empty job of {@code partitions} tasks on the running application (after a warm-up of 30). */
  static double emptyJobMillis(Session spark, int partitions) {
    List<Integer> items = new ArrayList<>();
    for (int i = 0; i < partitions; i++) items.add(i);
    var rdd = spark.jsc().parallelize(items, partitions);
    double[] t = new double[100];
    for (int i = -30; i < t.length; i++) {
      long t0 = System.nanoTime();
      rdd.count();
      if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e6;
    }
    return median(t);
  }

  static String table(String master, int partitions, Path metrics, Listener listener, double emptyMs) throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> steps = new ArrayList<>();
    List<JsonNode> epochs = new ArrayList<>();
    for (String line : Files.readAllLines(metrics)) {
      JsonNode n = json.readTree(line);
      (n.has("stepMillis") ? steps : epochs).add(n);
    }
    Map<Long, Job> byStep = new java.util.HashMap<>();
    for (Job j : listener.jobs.values()) byStep.put(j.step, j);
    StringBuilder md = new StringBuilder();
    md.append(String.format("%s, %d partitions; empty job of %d tasks: %.1f ms (median of 100)%n%n", master, partitions, partitions,
        emptyMs));
    md.append("| epoch | train s | val acc | elapsed s | step ms | broadcast ms | weights fetch ms | task compute ms | "
        + "task deserialize ms | job - slowest task ms | update ms | step - slowest task ms |\n"
        + "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    double reached = Double.NaN;
    for (JsonNode e : epochs) {
      int epoch = e.get("epoch").asInt();
      List<JsonNode> mine = steps.stream().filter(s -> s.get("epoch").asInt() == epoch).toList();
      double[] step = col(mine, "stepMillis");
      double[] slowest = col(mine, "slowestTaskMillis");
      double[] fetch = col(mine, "weightsFetchMillis");
      double[] compute = new double[mine.size()];
      double[] over = new double[mine.size()];
      for (int i = 0; i < compute.length; i++) {
        compute[i] = slowest[i] - fetch[i];
        over[i] = step[i] - slowest[i];
      }
      List<Double> deser = new ArrayList<>();
      List<Double> jobMinusTask = new ArrayList<>();
      for (JsonNode s : mine) {
        Job j = byStep.get(s.get("step").asLong() - 1);
        if (j == null || j.end == 0) continue;
        deser.add((double) j.maxDeserializeMs);
        jobMinusTask.add((double) (j.end - j.start - j.maxRunMs));
      }
      double acc = e.path("validationAccuracy").asDouble(Double.NaN);
      double elapsed = e.path("elapsedSeconds").asDouble(Double.NaN);
      if (Double.isNaN(reached) && acc >= 0.88) reached = elapsed;
      md.append(String.format("| %d | %.2f | %.4f | %.1f | %.2f | %.2f | %.2f | %.2f | %s | %s | %.2f | %.2f |%n", epoch + 1,
          e.get("seconds").asDouble(), acc, elapsed, median(step), median(col(mine, "broadcastMillis")), median(fetch),
          median(compute), orDash("%.0f", median(deser)), orDash("%.1f", median(jobMinusTask)), median(col(mine, "updateMillis")),
          median(over)));
    }
    md.append(String.format("%ntime to 0.88 validation accuracy: %s%n", Double.isNaN(reached) ? "not reached"
        : String.format("%.1f s of training", reached)));
    if (epochs.size() > 1) {
      double[] later = new double[epochs.size() - 1];
      for (int i = 1; i < epochs.size(); i++) later[i - 1] = epochs.get(i).get("seconds").asDouble();
      md.append(String.format("first epoch / median of the later ones: %.2f%n", epochs.get(0).get("seconds").asDouble() / median(later)));
    }
    StringBuilder first = new StringBuilder();
    for (JsonNode st : steps.subList(0, Math.min(8, steps.size()))) {
      first.append(String.format(" %.1f/%.1f", st.get("stepMillis").asDouble(), st.get("slowestTaskMillis").asDouble()));
    }
    md.append("first steps, step ms / slowest task ms:").append(first).append('\n');
    return md.toString();
  }

  private static String orDash(String format, double v) {
    return Double.isNaN(v) ? "-" : String.format(format, v);
  }

  private static double[] col(List<JsonNode> rows, String field) {
    return rows.stream().mapToDouble(r -> r.path(field).asDouble(0)).toArray();
  }

  static double median(double[] v) {
    if (v.length == 0) return Double.NaN;
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  static double median(List<Double> v) {
    return median(v.stream().mapToDouble(Double::doubleValue).toArray());
  }
}
