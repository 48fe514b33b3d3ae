package io.sparkprop.driver.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkprop.datasets.FashionMnist;
import io.sparkprop.datasets.IdxReader;
import io.sparkprop.driver.job.TrainingJob;
import io.sparkprop.driver.tuning.CompilerDirectives;
import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.job.Session;
import io.sparkprop.trainer.data.Examples;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The step users pay, measured on the path they run: for every data source the CLI reads (IDX,
 * CSV, LibSVM, Parquet, generated), a fresh JVM runs the CLI's own training job
 * ({@code sparkprop train}, in process) on Fashion-MNIST's 60k x 784 images (teacher-network rows
 * of the same shape for "generated") with {@code conf/fashion-mnist.conf}'s network, optimizer and
 * batch, and step metrics on; then 300 empty jobs in the same JVM. Reported per epoch: median step,
 * median slowest task, median (step - slowest task), against the median empty job measured right
 * after in that JVM.
 *
 * <p>{@code RealPathBenchmark [--epochs N] [--work DIR]} prints Markdown; {@code --child SOURCE
 * DATADIR OUTDIR EPOCHS} is one fresh-JVM run (started by the parent with this JVM's command).
 */
public final class RealPathBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> SOURCES = List.of("idx", "csv", "libsvm", "parquet", "generated");

  private RealPathBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 1 && args[0].equals("--child-empty")) {
      childEmpty(Integer.parseInt(args[1]));
      return;
    }
    if (args.length > 0 && args[0].equals("--child")) {
      child(args[1], Path.of(args[2]), Path.of(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]),
          Arrays.asList(args).subList(6, args.length));
      return;
    }
    int epochs = 10;
    Path work = Path.of(System.getProperty("java.io.tmpdir"), "sparkprop-realpath");
    List<String> sets = new ArrayList<>();
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--epochs")) epochs = Integer.parseInt(args[i + 1]);
      if (args[i].equals("--work")) work = Path.of(args[i + 1]);
      if (args[i].equals("--set")) sets.add(args[i + 1]);
    }
    System.out.print(run(work, epochs, sets));
  }

  /**
   * Prepares the files, runs every source in a fresh JVM, returns the Markdown section.
   *
   * @param sets config overrides (KEY=VALUE) for every run after the benchmark's own, for A/B runs
   */
  static String run(Path work, int epochs, List<String> sets) throws Exception {
    if (!FashionMnist.installed()) return "Skipped: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist).\n\n";
    Path data = work.resolve("data");
    prepare(data);
    StringBuilder md = new StringBuilder();
    md.append("Each row: a fresh JVM (the java command and class path of `bin/sparkprop`) running the CLI's `train` job in process, ")
        .append(epochs).append(" epochs of `conf/fashion-mnist.conf` (").append(BenchmarkSuite.shippedLayers()).append(", Adam, batch ").append(BenchmarkSuite.shippedBatch())
        .append(", 2 partitions, local[2]) on the ")
        .append("source's copy of Fashion-MNIST (generated: teacher-network rows, 60k x 784), `output.step-metrics = true`; ")
        .append("then 300 empty jobs (`parallelize(2 items, 2 partitions).count()`) in the same JVM. ms are medians over the epoch's steps.\n\n")
        .append("First with `training.steps-per-job = 1`, one Spark job per step, the path of every step that has more than one task ")
        .append("(a cluster), whose cost over Spark's empty job is what this table is about:\n\n")
        .append("| source | epoch | step ms | slowest task ms | step - task ms | empty job ms (same JVM, after) | over empty job ms |\n")
        .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    StringBuilder summary = new StringBuilder();
    Map<String, JsonNode> perStep = new java.util.HashMap<>();
    for (String source : SOURCES) {
      JsonNode r = launch(source, data, work.resolve("runs"), epochs, 1, sets);
      perStep.put(source, r);
      double empty = r.path("emptyJobMs").asDouble();
      double later;
      double firstDiff = Double.NaN;
      List<Double> laterDiffs = new ArrayList<>();
      for (JsonNode e : r.path("epochs")) {
        int epoch = e.get(0).asInt();
        double diff = e.get(3).asDouble();
        if (epoch == 1) firstDiff = diff;
        else laterDiffs.add(diff);
        if (epoch == 1 || epoch == 2 || epoch == epochs) {
          md.append(String.format("| %s | %d | %.1f | %.1f | %.1f | %.1f | %+.1f |%n", source, epoch, e.get(1).asDouble(),
              e.get(2).asDouble(), diff, empty, diff - empty));
        }
      }
      laterDiffs.sort(Double::compare);
      later = laterDiffs.isEmpty() ? Double.NaN : laterDiffs.get(laterDiffs.size() / 2);
      summary.append(String.format("| %s | %.1f | %.1f | %.1f | %+.1f | %.2f | %.1f | %.4f |%n", source, firstDiff, later, empty,
          later - empty, firstDiff / later, r.path("trainSeconds").asDouble(), r.path("validationAccuracy").asDouble()));
    }
    int spe = (60_000 + BenchmarkSuite.shippedBatch() - 1) / BenchmarkSuite.shippedBatch(); // every source trains on 60k rows
    JsonNode cold = launchEmpty(spe);
    md.append("\nSpark's own job path in a fresh JVM, for scale (a child JVM starts the CLI's session and runs only empty jobs, ")
        .append("the number of an epoch's steps at a time): jobs 1-").append(spe).append(" ").append(String.format("%.1f", cold.path("epoch1Ms").asDouble()))
        .append(" ms, jobs ").append(spe + 1).append("-").append(2 * spe).append(" ").append(String.format("%.1f", cold.path("epoch2Ms").asDouble()))
        .append(" ms, after 1000 jobs ").append(String.format("%.1f", cold.path("warmMs").asDouble())).append(" ms (medians): an empty job's own ")
        .append(String.format("first epoch / second %.2f", cold.path("epoch1Ms").asDouble() / cold.path("epoch2Ms").asDouble()))
        .append(", a step's first epoch runs Spark's cold path as much as its own.\n");
    md.append("\nSummary (epochs 2-").append(epochs).append(": the median of their medians):\n\n")
        .append("| source | epoch 1 step - task ms | epochs 2+ step - task ms | empty job ms | epochs 2+ over empty job ms | epoch 1 / later | whole job s (load, train, evaluate) | final validation accuracy (t10k) |\n")
        .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n").append(summary)
        .append("\nTargets: epochs 2+ at most the empty job + 3 ms; epoch 1 at most 1.5x a later epoch.\n\n");
    md.append("Then the default, `training.steps-per-job = 0`: in local mode one task holds the whole batch, so one job runs the ")
        .append("epoch's steps (docs/design.md, \"Several steps per job\"); step ms = the job's wall time shared among its steps plus each ")
        .append("step's own compute and update. The same runs' `weights` are bitwise those of one job per step.\n\n")
        .append("| source | epoch 1 s | epochs 2+ s (median) | epoch 1 / later | epochs 2+ step - task ms | whole job s | ")
        .append("one job per step: epochs 2+ s | speed-up, epochs 2+ |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (String source : SOURCES) {
      JsonNode fused = launch(source, data, work.resolve("runs"), epochs, 0, sets);
      double[] f = epochSeconds(fused);
      double[] one = epochSeconds(perStep.get(source));
      List<Double> diffs = new ArrayList<>();
      for (JsonNode e : fused.path("epochs")) if (e.get(0).asInt() > 1) diffs.add(e.get(3).asDouble());
      diffs.sort(Double::compare);
      md.append(String.format("| %s | %.2f | %.2f | %.2f | %.1f | %.1f | %.2f | %.2fx |%n", source, f[0], f[1], f[0] / f[1],
          diffs.isEmpty() ? Double.NaN : diffs.get(diffs.size() / 2), fused.path("trainSeconds").asDouble(), one[1], one[1] / f[1]));
    }
    md.append("\n");
    return md.toString();
  }

  /** Epoch 1's step seconds and the median of the later epochs'. */
  static double[] epochSeconds(JsonNode r) {
    double first = Double.NaN;
    List<Double> later = new ArrayList<>();
    for (JsonNode e : r.path("epochs")) {
      if (e.get(0).asInt() == 1) first = e.get(4).asDouble();
      else later.add(e.get(4).asDouble());
    }
    later.sort(Double::compare);
    return new double[] {first, later.isEmpty() ? Double.NaN : later.get(later.size() / 2)};
  }

  static JsonNode launch(String source, Path data, Path runs, int epochs, int stepsPerJob, List<String> sets) throws Exception {
    List<String> cmd = javaCommand();
    cmd.addAll(List.of(RealPathBenchmark.class.getName(), "--child", source,
        data.toString(), runs.resolve(source + "-" + stepsPerJob).toString(), Integer.toString(epochs), Integer.toString(stepsPerJob)));
    cmd.addAll(sets);
    ProcessBuilder b = new ProcessBuilder(cmd);
    b.environment().put("OPENBLAS_NUM_THREADS", "1");
    String out = output(b, "the " + source + " run");
    String last = out.lines().filter(l -> l.startsWith("{\"source\"")).reduce((a, c) -> c).orElseThrow(
        () -> new IllegalStateException("no result from the " + source + " run:\n" + out));
    System.err.println(last);
    return JSON.readTree(last);
  }

  /** A fresh JVM's empty jobs: medians of jobs 1..spe, spe+1..2 spe and of 300 after 1000. */
  static JsonNode launchEmpty(int spe) throws Exception {
    List<String> cmd = javaCommand();
    cmd.addAll(List.of(RealPathBenchmark.class.getName(), "--child-empty", Integer.toString(spe)));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IllegalStateException("the empty-job run failed:\n" + out);
    return JSON.readTree(out.lines().filter(l -> l.startsWith("{\"epoch1Ms\"")).reduce((a, c) -> c).orElseThrow(
        () -> new IllegalStateException("no result from the empty-job run:\n" + out)));
  }

  static void childEmpty(int spe) throws Exception {
    try (Session spark = Session.open("local[2]", "realpath-empty")) {
      JavaRDD<Integer> empty = spark.jsc().parallelize(Arrays.asList(1, 2), 2);
      double[] ms = new double[1300];
      for (int i = 0; i < ms.length; i++) {
        long s = System.nanoTime();
        empty.count();
        ms[i] = (System.nanoTime() - s) / 1e6;
      }
      ObjectNode r = JSON.createObjectNode();
      r.put("epoch1Ms", StepOverheadBenchmark.median(Arrays.copyOfRange(ms, 0, spe)));
      r.put("epoch2Ms", StepOverheadBenchmark.median(Arrays.copyOfRange(ms, spe, 2 * spe)));
      r.put("warmMs", StepOverheadBenchmark.median(Arrays.copyOfRange(ms, 1000, 1300)));
      System.out.println(JSON.writeValueAsString(r));
    }
  }

  /**
   * Runs a child process with its standard error on this one's and returns its standard output
   * (the benchmarks' children print their tables or JSON there).
   *
   * @param what names the child in the failure: "WHAT failed (exit N)", then its output
   */
  static String output(ProcessBuilder b, String what) throws IOException, InterruptedException {
    Process p = b.redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    if (exit != 0) throw new IllegalStateException(what + " failed (exit " + exit + ")" + (out.isBlank() ? "" : ":\n" + out));
    return out;
  }

  /**
   * The java command and JVM flags of this JVM (the bench script's, which are bin/sparkprop's: Spark's
   * module flags, the system properties and the JIT thresholds of conf/compile-commands.txt), with
   * the children's heap.
   */
  static List<String> javaCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-XX:+IgnoreUnrecognized") || a.startsWith("-D") || a.startsWith("-XX:CompileCommandFile=")) {
        cmd.add(a);
      }
    }
    cmd.addAll(List.of("-Xmx4g", "-Xms1g", "-cp", System.getProperty("java.class.path"))); // bin/sparkprop's default heap
    return cmd;
  }

  /** The config overrides that make the CLI read {@code source}. */
  static List<String> overrides(String source, Path data, Path out) {
    List<String> o = new ArrayList<>(List.of("output.dir=" + out, "output.model=\"\"", "output.step-metrics=true", "data.test=\"\""));
    switch (source) {
      case "idx": o.add("data.validation=" + FashionMnist.DEFAULT_DIR + "/t10k"); // every source: 60k train, t10k validation
        break;
      case "csv": o.addAll(List.of("data.format=csv", "data.train=" + data.resolve("train.csv"), "data.validation=" + data.resolve("test.csv")));
        break;
      case "libsvm": o.addAll(List.of("data.format=libsvm", "data.features=784", "data.train=" + data.resolve("train.svm"),
          "data.validation=" + data.resolve("test.svm")));
        break;
      case "parquet": o.addAll(List.of("data.format=parquet", "data.train=" + data.resolve("train.parquet"),
          "data.validation=" + data.resolve("test.parquet")));
        break;
      case "generated": o.addAll(List.of("data.format=generated", "data.generator.name=teacher", "data.generator.rows=60000",
          "data.generator.features=784", "data.generator.classes=10", "data.generator.hidden=64", "data.validation=\"\""));
        break;
      default: throw new IllegalArgumentException("unknown source " + source);
    }
    return o;
  }

  static void child(String source, Path data, Path out, int epochs, int stepsPerJob, List<String> extra) throws Exception {
    CompilerDirectives.installForLocal("local[2]"); // where sparkprop's main adds them: before the config and Spark start
    List<String> sets = overrides(source, data, out);
    sets.add("training.epochs=" + epochs);
    sets.add("training.steps-per-job=" + stepsPerJob);
    sets.addAll(extra);
    JobConfig cfg = JobConfig.load("conf/fashion-mnist.conf", sets);
    long t0 = System.nanoTime();
    ObjectNode result = JSON.createObjectNode();
    try (Session spark = Session.open("local[2]", "realpath-" + source)) {
      var model = TrainingJob.trainAndSave(spark, cfg, new PrintStream(java.io.OutputStream.nullOutputStream()), false);
      result.put("trainSeconds", (System.nanoTime() - t0) / 1e9);
      result.put("validationAccuracy", model.metrics().getOrDefault("validation_accuracy", Double.NaN));
      JavaRDD<Integer> empty = spark.jsc().parallelize(Arrays.asList(1, 2), 2);
      double[] ms = new double[300];
      for (int i = 0; i < ms.length; i++) {
        long s = System.nanoTime();
        empty.count();
        ms[i] = (System.nanoTime() - s) / 1e6;
      }
      Arrays.sort(ms);
      result.put("emptyJobMs", ms[ms.length / 2]);
    }
    Map<Integer, List<double[]>> byEpoch = new TreeMap<>();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      if (!line.startsWith("{\"step\"")) continue;
      JsonNode j = JSON.readTree(line);
      byEpoch.computeIfAbsent(j.path("epoch").asInt() + 1, k -> new ArrayList<>())
          .add(new double[] {j.path("stepMillis").asDouble(), j.path("slowestTaskMillis").asDouble()});
    }
    ArrayNode rows = result.putArray("epochs");
    for (Map.Entry<Integer, List<double[]>> e : byEpoch.entrySet()) {
      List<double[]> s = e.getValue();
      rows.addArray().add(e.getKey()).add(median(s, 0)).add(median(s, 1)).add(median(s, 2))
          .add(s.stream().mapToDouble(r -> r[0]).sum() / 1000);
    }
    result.put("source", source);
    ObjectNode ordered = JSON.createObjectNode();
    ordered.put("source", source);
    ordered.setAll(result);
    System.out.println(JSON.writeValueAsString(ordered));
  }

  /** Median of column c (2: step - task). */
  static double median(List<double[]> rows, int c) {
    double[] v = rows.stream().mapToDouble(r -> c == 2 ? r[0] - r[1] : r[c]).sorted().toArray();
    return v[v.length / 2];
  }

  /** Writes Fashion-MNIST as CSV (with a header), LibSVM (non-zero pixels) and Parquet, once. */
  static void prepare(Path data) throws IOException {
    if (Files.exists(data.resolve("done"))) return;
    Files.createDirectories(data);
    Configuration conf = new Configuration();
    String dir = FashionMnist.DEFAULT_DIR;
    for (String[] set : new String[][] {{"train", "train"}, {"test", "t10k"}}) {
      Examples e = IdxReader.readLocal(conf, gz(dir, set[1] + "-images-idx3-ubyte"), gz(dir, set[1] + "-labels-idx1-ubyte"));
      int d = e.features();
      try (BufferedWriter csv = Files.newBufferedWriter(data.resolve(set[0] + ".csv"));
          BufferedWriter svm = Files.newBufferedWriter(data.resolve(set[0] + ".svm"))) {
        StringBuilder h = new StringBuilder();
        for (int i = 0; i < d; i++) h.append('p').append(i).append(',');
        csv.write(h.append("label\n").toString());
        for (int r = 0; r < e.rows(); r++) {
          StringBuilder c = new StringBuilder(d * 8);
          StringBuilder s = new StringBuilder(d * 6).append((int) e.y()[r]);
          for (int i = 0; i < d; i++) {
            float v = e.x()[r * d + i];
            c.append(v).append(',');
            if (v != 0) s.append(' ').append(i + 1).append(':').append(v);
          }
          csv.write(c.append((int) e.y()[r]).append('\n').toString());
          svm.write(s.append('\n').toString());
        }
      }
      SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
          .config("spark.driver.host", "127.0.0.1").getOrCreate();
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      var images = set[0].equals("train") ? FashionMnist.train(sc, dir, 2) : FashionMnist.test(sc, dir, 2);
      BenchmarkSuite.frame(spark, images).write().mode("overwrite").parquet(data.resolve(set[0] + ".parquet").toString());
    }
    SparkSession.builder().getOrCreate().stop();
    Files.writeString(data.resolve("done"), "ok\n");
  }

  private static String gz(String dir, String name) {
    Path p = Path.of(dir, name + ".gz");
    return Files.exists(p) ? p.toString() : Path.of(dir, name).toString();
  }
}
