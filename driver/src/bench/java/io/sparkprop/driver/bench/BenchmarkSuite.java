package io.sparkprop.driver.bench;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.FashionMnist;
import io.sparkprop.datasets.Generators;
import io.sparkprop.driver.tuning.CompilerDirectives;
import io.sparkprop.driver.tuning.SparkDefaults;
import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.data.Placement;
import io.sparkprop.driver.loop.DistributedTrainer;
import io.sparkprop.driver.loop.EpochReport;
import io.sparkprop.driver.loop.FitOptions;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Blas;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The benchmark suite (bin/bench): where Sparkprop stands against Spark MLlib and the hardware.
 * Sections: the CLI's own training job per data source in fresh JVMs (the step users pay), time
 * to accuracy on Fashion-MNIST beside MLlib's MultilayerPerceptronClassifier
 * (same architecture, L-BFGS), engine GFLOP/s against sgemm, per-step overhead against an empty
 * job and an MLlib-style step, and epoch time and cached memory against rows. Prints Markdown,
 * writes it between the markers of {@code docs/benchmarks.md} and draws docs/time-to-accuracy.png.
 *
 * <p>Usage: {@code BenchmarkSuite [--quick] [--out docs]}. Quick mode (a few minutes) runs
 * smaller versions of every section; the full run takes 30-36 minutes on two cores.
 * {@code --head-to-head N} runs only section 1's N interleaved rounds of {@code bin/sparkprop train}
 * against PyTorch and prints their table.
 */
public final class BenchmarkSuite {
  private BenchmarkSuite() {}

  record Point(double seconds, double accuracy) {}

  record Curve(String system, List<Point> points, double secondsPerPass, String unit) {
    /** The first sampled time at or above acc (an upper bound on the true time); NaN if never. */
    double timeTo(double acc) {
      for (Point p : points) if (p.accuracy() >= acc) return p.seconds();
      return Double.NaN;
    }

    /** The last sampled time below acc before it was reached (a lower bound); 0 if reached at the first sample. */
    double lastBelow(double acc) {
      double below = 0;
      for (Point p : points) {
        if (p.accuracy() >= acc) return below;
        below = p.seconds();
      }
      return Double.NaN;
    }

    /** Linear interpolation of the crossing between the samples that bracket it; NaN if never reached. */
    double interpolated(double acc) {
      Point prev = new Point(0, 0);
      for (Point p : points) {
        if (p.accuracy() >= acc) {
          double f = (acc - prev.accuracy()) / (p.accuracy() - prev.accuracy());
          return prev.seconds() + Math.max(0, Math.min(1, f)) * (p.seconds() - prev.seconds());
        }
        prev = p;
      }
      return Double.NaN;
    }

    /** "lower-upper" seconds (curves are sampled, not continuous), or "not reached". */
    String bracket(double acc) {
      double hi = timeTo(acc);
      return Double.isNaN(hi) ? "not reached (best " + String.format("%.4f", best()) + ")" : String.format("%.1f-%.1f", lastBelow(acc), hi);
    }

    double best() {
      return points.stream().mapToDouble(Point::accuracy).max().orElse(Double.NaN);
    }
  }

  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    if (List.of(args).contains("--local-cluster-only")) { // section 3b's child (localClusterChild)
      System.out.print(localCluster(quick));
      return;
    }
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--head-to-head")) { // section 1's interleaved rounds alone: bin/bench --head-to-head N
        System.out.print(headToHead(Integer.parseInt(args[i + 1])));
        return;
      }
    }
    String out = "docs";
    for (int i = 0; i + 1 < args.length; i++) if (args[i].equals("--out")) out = args[i + 1];
    outDir = out;
    long t0 = System.nanoTime();
    // first, in JVMs of their own: what bin/sparkprop users pay per step
    String realPath = RealPathBenchmark.run(Path.of(System.getProperty("java.io.tmpdir"), "sparkprop-realpath"), quick ? 4 : 10, List.of());
    // the CLI's session settings (direct task results, one BLAS thread per task, its compiler directives), so the rows measure what users run
    CompilerDirectives.installForLocal("local[2]");
    SparkSession spark = SparkDefaults.apply(SparkSession.builder().appName("sparkprop-benchmarks").master("local[2]")
        .config("spark.driver.host", "127.0.0.1").config("spark.ui.enabled", "false"), "local[2]").getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    StringBuilder md = new StringBuilder();
    md.append("# Benchmark suite results\n\n")
        .append("Command: `bin/bench").append(quick ? " --quick" : "").append("` (main class `io.sparkprop.driver.bench.BenchmarkSuite`). ")
        .append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
        .append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.arch")).append(", Java ")
        .append(System.getProperty("java.version")).append(", Spark ").append(spark.version()).append(", BLAS ")
        .append(Blas.describe()).append(", local[2]. Date: ").append(LocalDate.now()).append(".\n\n");

    section(md, "0. The step users pay: the CLI's own job, fresh JVM, every data source");
    md.append(realPath);

    section(md, "1. Time to accuracy on Fashion-MNIST (" + shippedLayers() + ", 60k train / 10k test)");
    // first, while this JVM is idle: the CLI in fresh JVMs against PyTorch, interleaved
    String rounds = FashionMnist.installed() ? headToHead(quick ? 1 : 3) : "";
    List<Curve> curves = timeToAccuracy(spark, sc, quick);
    md.append("Training time excludes JVM start, data loading and the per-epoch test evaluation. The \"fresh JVM\" row is the first\n")
        .append("run after start (what `bin/sparkprop` users see: the JIT compiles Spark's and the engine's code during the first epochs); then 1000\n")
        .append("empty jobs warm the JVM and every other row, MLlib's included, runs warm; the targets are judged on the warm rows.\n")
        .append("Sparkprop rows run the shipped\n")
        .append("`conf/fashion-mnist.conf` (ReLU, Adam, batch ").append(shippedBatch()).append(") and the same with sigmoid hidden layers (MLlib's only choice),\n")
        .append("packed as the CLI packs them (in `local[2]` one task of both blocks per step, so `fit` runs an epoch's steps per Spark job,\n")
        .append("`training.steps-per-job = 0`), and once with one job per step (`steps-per-job = 1`, what a step with several tasks pays);\n")
        .append("MLlib runs `MultilayerPerceptronClassifier` (L-BFGS, its default, block size 128) once per iteration budget, each from scratch.\n\n")
        .append("Accuracy is sampled at the end of every Sparkprop epoch and of every MLlib run, so a time to accuracy is the bracket\n")
        .append("between the last sample below it and the first at or above it.\n\n")
        .append("| system | time to 0.855 s | time to 0.88 s | best test accuracy | seconds per epoch / L-BFGS iteration |\n")
        .append("| --- | ---: | ---: | ---: | ---: |\n");
    for (Curve c : curves) {
      md.append(String.format("| %s | %s | %s | %.4f | %.2f per %s |%n", c.system(), c.bracket(0.855), c.bracket(0.88), c.best(),
          c.secondsPerPass(), c.unit()));
    }
    md.append("\nEvery sample (training seconds, test accuracy):\n\n");
    for (Curve c : curves) {
      md.append("- ").append(c.system()).append(": ");
      md.append(String.join(", ", c.points().stream().map(p -> String.format("%.1f s %.4f", p.seconds(), p.accuracy())).toList()));
      md.append('\n');
    }
    Curve ours = curves.get(0);
    Curve mllib = curves.get(curves.size() - 1);
    double oursHi = ours.timeTo(0.855);
    double mlLo = mllib.lastBelow(0.855);
    double mlHi = mllib.timeTo(0.855);
    String speedup = Double.isNaN(mlHi) ? "MLlib did not reach 0.855 in this run"
        : String.format("MLlib took %.1f-%.1f s, Sparkprop at most %.1f s: at least %.0fx sooner, %.0fx by linear interpolation "
            + "between samples (%.1f s vs %.1f s)", mlLo, mlHi, oursHi, mlLo / oursHi,
            mllib.interpolated(0.855) / ours.interpolated(0.855), mllib.interpolated(0.855), ours.interpolated(0.855));
    md.append(String.format("%nTargets: the shipped config reaches 0.88 within 15 s of training: **%s** (at most %s s). "
        + "It reaches 0.855 at least 20x sooner than MLlib: **%s** (%s).%n%n",
        ours.timeTo(0.88) <= 15 ? "met" : "missed", fmt(ours.timeTo(0.88)),
        Double.isNaN(mlHi) ? "undecided" : mlLo / oursHi >= 20 ? "met" : mlHi / oursHi >= 20 ? "undecided within the sampling" : "missed",
        speedup));
    Curve fresh = curves.stream().filter(c -> c.system().contains("fresh JVM")).findFirst().orElse(null);
    Curve torch = curves.stream().filter(c -> c.system().startsWith("PyTorch")).findFirst().orElse(null);
    if (fresh != null) {
      double f88 = fresh.timeTo(0.88);
      md.append(String.format("Fresh JVM (what `bin/sparkprop` users get): 0.88 within 9 s of training: **%s** (at most %s s)",
          f88 <= 9 ? "met" : "missed", fmt(f88)));
      if (torch != null) {
        double t88 = torch.timeTo(0.88);
        md.append(String.format("; PyTorch in this run: %s s, ratio %s (target: Sparkprop at least 1.5x sooner)", fmt(t88),
            Double.isNaN(t88) || Double.isNaN(f88) ? "n/a" : String.format("%.2fx", t88 / f88)));
      }
      md.append(".\n\n");
    }
    if (!rounds.isEmpty()) {
      md.append("**The path users run, against PyTorch, in interleaved rounds.** Each round: a fresh `bin/sparkprop train --config\n")
          .append("conf/fashion-mnist.conf` (all 60,000 training images, t10k as the per-epoch validation; training seconds from its\n")
          .append("`metrics.jsonl`, without the evaluation), then `bin/bench-peers.py torch` on the same recipe. This machine kind runs\n")
          .append("either system up to 1.6x slower for minutes at a time, so a ratio is taken within a round only.\n\n")
          .append(rounds);
    }
    String chart = chart(curves, out);
    md.append("![test accuracy against training seconds](").append(chart).append(")\n\n");

    section(md, "2. Engine: forward+backward GFLOP/s against sgemm of the same shapes (one thread, this JVM's BLAS)");
    md.append("| batch | engine fwd+bwd GFLOP/s | sgemm same shapes GFLOP/s | engine / sgemm | ms per batch |\n| ---: | ---: | ---: | ---: | ---: |\n");
    io.sparkprop.trainer.nn.NetworkSpec net = io.sparkprop.trainer.nn.NetworkSpec.of(new int[] {784, 256, 128, 10},
        io.sparkprop.trainer.nn.Activation.RELU, io.sparkprop.trainer.nn.Head.SOFTMAX_CROSS_ENTROPY);
    for (int m : quick ? new int[] {256, 1024} : new int[] {64, 256, 1024, 2048}) {
      double flops = EngineBenchmark.flopsPerBatch(net, m);
      double eng = EngineBenchmark.measure(quick ? 0.5 : 1.5, EngineBenchmark.engineStep(net, m));
      double gemm = EngineBenchmark.measure(quick ? 0.5 : 1.5, EngineBenchmark.gemmOnly(net, m, Blas.get()));
      md.append(String.format("| %d | %.1f | %.1f | %.0f%% | %.2f |%n", m, flops / eng / 1e9, flops / gemm / 1e9, 100 * gemm / eng, eng * 1e3));
    }
    md.append("\nThe JDK-vector and pure-Java fallbacks need JVMs of their own: `bin/bench-engine` (docs/benchmarks.md).\n\n");

    section(md, "3. Per-step overhead against an empty job and an MLlib-style step");
    md.append(StepOverheadBenchmark.HEADER).append('\n');
    List<StepOverheadBenchmark.Case> cases = new ArrayList<>();
    cases.add(new StepOverheadBenchmark.Case("235k", new int[] {784, 256, 128, 10}, new int[] {2, 8, 32}, quick ? 40 : 120));
    if (!quick) {
      cases.add(new StepOverheadBenchmark.Case("2.4M", new int[] {784, 2048, 384, 10}, new int[] {2, 8, 32}, 20));
      cases.add(new StepOverheadBenchmark.Case("24M", new int[] {784, 4096, 4096, 1024, 10}, new int[] {2}, 5));
    }
    int warm = quick ? 200 : 1000;
    for (StepOverheadBenchmark.Case c : cases) {
      for (int p : c.partitions()) {
        md.append(StepOverheadBenchmark.run(sc, c, p, warm)).append('\n');
        warm = 100;
      }
    }
    md.append("\nThe same with executors in JVMs of their own: section 3b.\n\n");

    section(md, "4. Scale: epoch time and cached memory against rows (teacher-network data, 784 features)");
    md.append("Batch 1024, 2 partitions, the fashion-mnist config's network and optimizer; the epoch timed is the rest of epoch 0 after 5 warm-up steps.\n\n");
    md.append("| rows | cached MB | bytes per row | epoch s | us per row | vs smallest |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n");
    double first = Double.NaN;
    for (long rows : quick ? new long[] {60_000, 250_000} : new long[] {60_000, 250_000, 1_000_000}) {
      ExampleSet s = Generators.teacher(sc, rows, 784, 64, 10, false, 2, 1); // one partition per core
      JobConfig cfg = shipped().with("training.batch-size", "1024");
      PackedData d = PackedData.pack(s, cfg.network(), StorageLevel.MEMORY_AND_DISK());
      TrainingSpec spec = cfg.trainingSpec((rows + 1023) / 1024);
      DistributedTrainer t = new DistributedTrainer(sc, spec, d, "scale-" + rows);
      for (int w = 0; w < 5; w++) t.step(); // warm the executors' buffers and the JIT for this shape
      long e0 = System.nanoTime();
      long before = t.stepCount();
      io.sparkprop.trainer.nn.LossSum done = t.epoch();
      double secs = (System.nanoTime() - e0) / 1e9;
      double perRow = secs / done.count() * 1e6;
      if (t.stepCount() - before < 1) throw new IllegalStateException("no steps timed");
      if (Double.isNaN(first)) first = perRow;
      md.append(String.format("| %,d | %.0f | %d | %.1f | %.1f | %.2fx |%n", rows, d.bytes() / 1e6, d.bytes() / rows, secs, perRow, perRow / first));
      d.unpersist();
    }
    md.append("\nTarget: time per row flat within 1.2x; memory per row near 4 x 784 = 3136 bytes (plus 4 for the label).\n\n");
    section(md, "4b. Past memory: data of 0.5x to 4x the storage memory of a 1500 MB heap, in local files");
    md.append(pastMemory(quick));
    spark.stop();

    section(md, "3b. Per-step overhead in local-cluster[2,1,2048] (two executors in JVMs of their own)");
    md.append(localClusterChild(quick));
    section(md, "5. Scale-out: who adds the gradients (local-cluster, E executors of one core; docs/scaling.md)");
    if (System.getenv("SPARK_HOME") == null) {
      md.append("Skipped: SPARK_HOME is not set (bin/bench sets it).\n\n");
    } else {
      md.append("Command: as `bin/bench-scaling").append(quick ? " 2,8 235k,2.4M 5" : " 2,4,8 235k,2.4M,24M 10")
          .append("`. The executors share two cores: judge by the driver's bytes and CPU.\n\n")
          .append(ScalingBenchmark.run(quick ? new int[] {2, 8} : new int[] {2, 4, 8},
              quick ? List.of("235k", "2.4M") : List.of("235k", "2.4M", "24M"), quick ? 5 : 10)).append('\n');
    }
    section(md, "5b. Scale-out on a standalone cluster (bin/cluster: a master and 8 one-core workers; E of them per run)");
    md.append(standaloneScaling(quick));
    section(md, "5c. The cluster step split into its parts (the CLI's job on bin/cluster, 2 x 1 and 4 x 1 cores; docs/scaling.md)");
    md.append(clusterStep(quick));
    md.append(String.format("%nWhole suite: %.0f s.%n", (System.nanoTime() - t0) / 1e9));
    save(md);
    System.out.print(md);
  }

  /**
   * bin/bench-outofcore (fresh bin/sparkprop JVMs with small heaps, in processes of their own):
   * the file placement against memory, past the storage memory.
   */
  static String pastMemory(boolean quick) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/python3", "bin/bench-outofcore", "--no-build"));
    if (quick) cmd.addAll(List.of("--sizes", "0.5,2", "--today", ""));
    String table = RealPathBenchmark.output(new ProcessBuilder(cmd), "bin/bench-outofcore");
    return "Command: `bin/bench-outofcore" + (quick ? " --sizes 0.5,2 --today ''" : "") + "`; each row is `bin/sparkprop train` in a "
        + "JVM of its own (generated blobs, 784 features, 784-128-10, batch 1024, 2 partitions, 2 epochs).\n\n" + table
        + "\nTargets: the file rows train to the end at 4x with the weights of the memory rows; epoch 2 within 1.3x of memory; "
        + "the heap after GC does not grow with the data.\n\n";
  }

  /** bin/bench-cluster in a process of its own (it starts and stops the clusters). */
  static String clusterStep(boolean quick) throws Exception {
    String epochs = quick ? "2" : "4";
    ProcessBuilder b = new ProcessBuilder("bin/bench-cluster", epochs);
    b.environment().put("SPARKPROP_NO_BUILD", "1");
    if (quick) b.environment().put("SPARKPROP_BENCH_SHAPES", "2x1 local");
    String table = RealPathBenchmark.output(b, "bin/bench-cluster");
    return "Command: `" + (quick ? "SPARKPROP_BENCH_SHAPES='2x1 local' " : "") + "bin/bench-cluster " + epochs + "`: the CLI's "
        + "job (conf/fashion-mnist.conf, the test images as the validation set) in client mode on a standalone cluster, per "
        + "epoch the medians of the step's parts beside an empty job of as many tasks on the same cluster after training; "
        + "then the same rows in local[2], one job per step. Driver, master, workers and executors share two cores.\n\n"
        + table + "\n";
  }

  /** bin/bench-scaling --standalone in a process of its own (it starts and stops the cluster). */
  static String standaloneScaling(boolean quick) throws Exception {
    List<String> args = quick ? List.of("2,8", "2.4M", "5") : List.of("2,4,8", "2.4M", "10");
    List<String> cmd = new java.util.ArrayList<>(List.of("bin/bench-scaling", "--standalone"));
    cmd.addAll(args);
    ProcessBuilder b = new ProcessBuilder(cmd);
    b.environment().put("SPARKPROP_NO_BUILD", "1");
    String table = RealPathBenchmark.output(b, "bin/bench-scaling --standalone");
    return "Command: `bin/bench-scaling --standalone " + String.join(" ", args) + "`: the driver in this machine's JVM, executors "
        + "launched by standalone workers (spark.cores.max = E, one core each), the same measurements as section 5. The executors "
        + "share two cores: judge by the driver's bytes and CPU.\n\n" + table + "\n";
  }

  static final String BEGIN = "<!-- benchmark suite: begin (bin/bench rewrites this part) -->";
  static final String END = "<!-- benchmark suite: end -->";

  /** The page with the region between the markers replaced by {@code section} (appended when absent). */
  static String replaceSuiteSection(String page, String section) {
    String block = BEGIN + "\n" + section.replaceFirst("^# Benchmark suite results", "## Latest benchmark suite results") + END;
    int b = page.indexOf(BEGIN);
    int e = page.indexOf(END);
    if (b >= 0 && e > b) return page.substring(0, b) + block + page.substring(e + END.length());
    return page + "\n" + block + "\n";
  }

  /**
   * {@link #localCluster} in a JVM of its own, started as this one (bin/bench's flags): its driver
   * must be a cluster driver's, without the compiler directives this JVM's local session added for
   * the CLI's local runs (they keep Spark's scheduler in C1 code, which is right when the driver
   * also trains and costs a cluster's driver about 5 ms a step: docs/benchmarks.md).
   */
  static String localClusterChild(boolean quick) throws IOException, InterruptedException {
    List<String> cmd = RealPathBenchmark.javaCommand();
    cmd.addAll(List.of(BenchmarkSuite.class.getName(), "--local-cluster-only"));
    if (quick) cmd.add("--quick");
    return RealPathBenchmark.output(new ProcessBuilder(cmd), "section 3b's child JVM");
  }

  /**
   * The 235k overhead rows with executors in separate JVMs. Needs SPARK_HOME (a folder with
   * jars/), SPARK_SCALA_VERSION and SPARK_LOCAL_IP, which bin/bench exports; executors get this
   * JVM's class path.
   */
  static String localCluster(boolean quick) {
    if (System.getenv("SPARK_HOME") == null) {
      return "Skipped: SPARK_HOME is not set (bin/bench sets it).\n\n";
    }
    SparkSession cluster = SparkSession.builder().master("local-cluster[2,1,2048]").appName("sparkprop-benchmarks-cluster")
        .config("spark.driver.host", "127.0.0.1").config("spark.ui.enabled", "false")
        .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
        .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1").config("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
        .getOrCreate();
    cluster.sparkContext().setLogLevel("ERROR");
    try {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(cluster.sparkContext());
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (sc.sc().getExecutorIds().size() < 2) {
        if (System.nanoTime() > deadline) {
          return "Skipped: the two executors did not register within 60 s (see SPARK_HOME/work/*/*/stderr).\n\n";
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return "Interrupted.\n\n";
        }
      }
      StringBuilder b = new StringBuilder(StepOverheadBenchmark.HEADER).append('\n');
      StepOverheadBenchmark.Case c = new StepOverheadBenchmark.Case("235k", new int[] {784, 256, 128, 10}, new int[] {2, 8},
          quick ? 30 : 100);
      int warm = quick ? 200 : 500;
      for (int p : c.partitions()) {
        b.append(StepOverheadBenchmark.run(sc, c, p, warm)).append('\n');
        warm = 100;
      }
      return b.append('\n').toString();
    } finally {
      cluster.stop();
    }
  }

  /** The shipped Fashion-MNIST config, whose network and recipe every Fashion-MNIST row runs. */
  static final String SHIPPED = "conf/fashion-mnist.conf";

  static JobConfig shipped() {
    return JobConfig.load(new File(SHIPPED), List.of());
  }

  /** The shipped Fashion-MNIST config's network, e.g. 784-128-128-10, for the tables' text. */
  static String shippedLayers() {
    return layers(shipped(), "-");
  }

  /** A config's layer sizes joined by {@code sep}. */
  static String layers(JobConfig cfg, String sep) {
    return java.util.Arrays.stream(cfg.layers()).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(sep));
  }

  /** The shipped Fashion-MNIST config's batch size, for the tables' text. */
  static int shippedBatch() {
    return shipped().integer("training.batch-size", 1, Integer.MAX_VALUE);
  }

  static List<Curve> timeToAccuracy(SparkSession spark, JavaSparkContext sc, boolean quick) {
    List<Curve> curves = new ArrayList<>();
    JobConfig cfg = shipped();
    // The peers first, while this JVM is idle: run right after the Sparkprop rows (220 MB of
    // blocks just unpersisted, the JIT still compiling), PyTorch, whose two-thread OpenBLAS sgemm
    // stalls whenever one of its threads loses its core, took 4.9 s to 0.88 against 3.0-3.6 s in
    // interleaved standalone runs of the same hour (docs/benchmarks.md).
    List<Curve> peers = peers(cfg, quick ? 4 : cfg.integer("training.epochs", 1, 1000));
    ExampleSet trainSet = FashionMnist.train(sc, FashionMnist.DEFAULT_DIR, 2);
    ExampleSet testSet = FashionMnist.test(sc, FashionMnist.DEFAULT_DIR, 2);
    // packed as the CLI packs them: in local mode one task of all blocks, so fit runs an epoch per job
    int threads = PackedData.autoThreadsPerTask(sc.sc());
    PackedData train = PackedData.pack(trainSet, cfg.network(), StorageLevel.MEMORY_AND_DISK(), Placement.MEMORY, 64L << 20, threads);
    PackedData test = PackedData.pack(testSet, cfg.network(), StorageLevel.MEMORY_AND_DISK(), Placement.MEMORY, 64L << 20, threads);
    int epochs = cfg.integer("training.epochs", 1, 1000);
    // What a user of bin/sparkprop sees: the first run in a fresh JVM, whose Spark job path is cold.
    curves.add(sparkprop(sc, cfg, train, test, "Sparkprop, shipped config, fresh JVM (the first run after start)"));
    // Then the JVM is warmed the way the issue measures the floor (an empty job costs 20-30 ms for
    // the first ~1000 jobs, ~6-10 ms after): 1000 empty jobs. Every row below, MLlib's included, runs warm.
    JavaRDD<Integer> empty = sc.parallelize(java.util.Arrays.asList(1, 2), 2).cache();
    for (int i = 0; i < 1000; i++) empty.count();
    empty.unpersist(false);
    curves.add(0, sparkprop(sc, cfg, train, test, "Sparkprop, shipped config (ReLU, Adam)"));
    JobConfig sig = cfg.with("model.activation", "sigmoid").with("model.init", "xavier-normal").with("optimizer.learning-rate", "0.004")
        .with("training.epochs", Integer.toString(epochs));
    curves.add(1, sparkprop(sc, sig, train, test, "Sparkprop, sigmoid hidden layers"));
    curves.add(2, sparkprop(sc, cfg.with("training.steps-per-job", "1"), train, test,
        "Sparkprop, shipped config, one Spark job per step (steps-per-job = 1)"));
    train.unpersist();
    test.unpersist();

    curves.addAll(peers);

    Dataset<Row> mTrain = frame(spark, trainSet).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> mTest = frame(spark, testSet).persist(StorageLevel.MEMORY_AND_DISK());
    mTrain.count();
    mTest.count();
    List<Point> points = new ArrayList<>();
    double perIter = Double.NaN;
    for (int iters : quick ? new int[] {10, 20} : new int[] {25, 50, 100, 150, 200}) {
      long t0 = System.nanoTime();
      MultilayerPerceptronClassificationModel m = new MultilayerPerceptronClassifier().setLayers(cfg.layers())
          .setMaxIter(iters).setSeed(1).setBlockSize(128).fit(mTrain);
      double secs = (System.nanoTime() - t0) / 1e9;
      double acc = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(m.transform(mTest));
      points.add(new Point(secs, acc));
      perIter = secs / iters;
      System.err.printf("MLlib %d iterations: %.1f s, test accuracy %.4f%n", iters, secs, acc);
    }
    curves.add(new Curve("Spark MLlib MultilayerPerceptronClassifier (sigmoid, L-BFGS)", points, perIter, "iteration"));
    mTrain.unpersist();
    mTest.unpersist();
    return curves;
  }

  /**
   * PyTorch and scikit-learn on the same files, network (the config's layers) and (PyTorch) recipe
   * (epochs, batch, learning rate, warm-up, cosine floor), 2 threads, in processes of their own
   * (bin/bench-peers.py with Debian's /usr/bin/python3); none when the Debian packages
   * python3-torch / python3-sklearn are not installed.
   */
  static List<Curve> peers(JobConfig cfg, int epochs) {
    List<Curve> out = new ArrayList<>();
    for (String which : new String[] {"torch", "sklearn"}) {
      Curve c = peer(which, cfg, epochs);
      if (c != null) out.add(c);
    }
    return out;
  }

  /** One peer ("torch" or "sklearn") on the config's recipe; null (and why, on stderr) when it cannot run. */
  static Curve peer(String which, JobConfig cfg, int epochs) {
    try {
      Process probe = new ProcessBuilder("/usr/bin/python3", "-c", "import " + which).redirectErrorStream(true).start();
      if (probe.waitFor() != 0) {
        System.err.println("peer " + which + " skipped: /usr/bin/python3 cannot import it (apt-get install python3-"
            + (which.equals("torch") ? "torch" : "sklearn") + ")");
        return null;
      }
      ProcessBuilder b = new ProcessBuilder("/usr/bin/python3", "bin/bench-peers.py", which,
          "--layers", layers(cfg, ","),
          "--epochs", Integer.toString(epochs),
          "--batch", Integer.toString(cfg.integer("training.batch-size", 1, Integer.MAX_VALUE)),
          "--lr", Double.toString(cfg.number("optimizer.learning-rate", 0, 1e9, false)),
          "--warmup", Integer.toString(cfg.integer("optimizer.warmup-steps", 0, Integer.MAX_VALUE)),
          "--min-factor", Double.toString(cfg.number("optimizer.min-factor", 0, 1, true)));
      b.environment().remove("OPENBLAS_CORETYPE"); // the peers' own BLAS at its best (see the env notes)
      String line = RealPathBenchmark.output(b, "bin/bench-peers.py " + which).trim();
      if (line.isEmpty()) throw new IllegalStateException("bin/bench-peers.py " + which + " printed nothing");
      com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
      List<Point> pts = new ArrayList<>();
      for (com.fasterxml.jackson.databind.JsonNode pt : j.path("points")) pts.add(new Point(pt.get(0).asDouble(), pt.get(1).asDouble()));
      System.err.println("peer " + j.path("system").asText() + ": " + pts);
      return new Curve(j.path("system").asText(), pts, pts.isEmpty() ? Double.NaN : pts.get(pts.size() - 1).seconds() / pts.size(),
          "epoch");
    } catch (IOException | InterruptedException e) {
      System.err.println("peer " + which + " skipped: " + e.getMessage());
      return null;
    }
  }

  /**
   * The path users run against PyTorch, in interleaved rounds: each round one fresh
   * {@code bin/sparkprop train} of the shipped config (trained on all 60,000 images, t10k as the
   * per-epoch validation, training seconds from its metrics.jsonl, which exclude the evaluation)
   * and then PyTorch on the same recipe (the shipped config's). Rounds alternate because this machine kind runs either
   * system up to 1.6x slower for minutes at a time: a ratio is only taken within a round.
   */
  static String headToHead(int rounds) throws IOException, InterruptedException {
    Path work = Files.createTempDirectory("sparkprop-head-to-head");
    try {
      return headToHead(shipped(), rounds, work);
    } finally {
      org.apache.hadoop.fs.FileUtil.fullyDelete(work.toFile());
    }
  }

  private static String headToHead(JobConfig cfg, int rounds, Path work) throws IOException, InterruptedException {
    int epochs = cfg.integer("training.epochs", 1, 1000);
    StringBuilder md = new StringBuilder();
    md.append("| round | Sparkprop s to 0.88 (epoch) | PyTorch s to 0.88 (epoch) | PyTorch / Sparkprop | Sparkprop s per epoch: first, later (median) | PyTorch s per epoch (median) |\n")
        .append("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
    List<Curve> ours = new ArrayList<>();
    List<Curve> torch = new ArrayList<>();
    // untimed: the first bin/sparkprop run after a build records the class-data archive the timed runs map
    cliTrain(work.resolve("prime"), "priming", "training.epochs=1");
    for (int r = 1; r <= rounds; r++) {
      Path dir = work.resolve("round-" + r);
      cliTrain(dir, "round " + r, "data.test=\"\"", "data.validation=" + FashionMnist.DEFAULT_DIR + "/t10k");
      Curve o = cliCurve(Files.readAllLines(dir.resolve("metrics.jsonl")));
      Curve t = peer("torch", cfg, epochs);
      if (t == null) return "Skipped: PyTorch is not installed (apt-get install python3-torch).\n\n";
      ours.add(o);
      torch.add(t);
      md.append(roundRow(r, o, t));
    }
    md.append(medianLine(ours, torch));
    return md.toString();
  }

  /**
   * A round's pace (seconds per epoch) at or above this multiple of the same system's fastest
   * round of the run marks a slow spell: this machine kind runs one process 1.5-1.8x slower for
   * minutes at a time, often while the other runs at full speed, which makes that round's ratio
   * the spell's; a spell that starts or ends inside a round slows it less. At full speed a
   * system's pace varied up to 1.10x between the rounds of a run (Sparkprop's later epochs
   * 0.31-0.34 s, PyTorch's 0.50-0.55 s; docs/benchmarks.md).
   */
  static final double SLOW_SPELL = 1.15;

  /**
   * Which rounds ran a system in a slow spell: its pace ({@link #pace}) at least {@link #SLOW_SPELL}
   * times its fastest round's in the run. Each entry names the systems with both paces ("PyTorch
   * 0.78 s per epoch against 0.51"), or is empty.
   */
  static List<String> slowSpells(List<Curve> ours, List<Curve> torch) {
    double bestOurs = Double.POSITIVE_INFINITY;
    double bestTorch = Double.POSITIVE_INFINITY;
    for (int i = 0; i < ours.size(); i++) {
      bestOurs = Math.min(bestOurs, pace(ours.get(i), true));
      bestTorch = Math.min(bestTorch, pace(torch.get(i), false));
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < ours.size(); i++) {
      List<String> slow = new ArrayList<>();
      double o = pace(ours.get(i), true);
      double t = pace(torch.get(i), false);
      if (o >= SLOW_SPELL * bestOurs) slow.add(String.format("Sparkprop %.2f s per later epoch against %.2f", o, bestOurs));
      if (t >= SLOW_SPELL * bestTorch) slow.add(String.format("PyTorch %.2f s per epoch against %.2f", t, bestTorch));
      out.add(String.join(", ", slow));
    }
    return out;
  }

  /**
   * A run's seconds per epoch: the median of the epochs after the first when {@code laterOnly}
   * (Sparkprop, whose first epoch carries a fresh JVM's JIT), else of every epoch; NaN without epochs.
   */
  static double pace(Curve c, boolean laterOnly) {
    List<Double> e = epochSeconds(c);
    if (laterOnly && e.size() > 1) e = e.subList(1, e.size());
    return median(e);
  }

  /**
   * The line under the rounds' table: the median ratio over the rounds where neither system ran
   * in a slow spell ({@link #slowSpells}), naming the rounds left out; over every round when all
   * of them were.
   */
  static String medianLine(List<Curve> ours, List<Curve> torch) {
    List<String> spells = slowSpells(ours, torch);
    List<Double> kept = new ArrayList<>();
    List<Double> all = new ArrayList<>();
    List<String> left = new ArrayList<>();
    for (int i = 0; i < ours.size(); i++) {
      double ratio = ratio(ours.get(i), torch.get(i));
      if (Double.isNaN(ratio)) continue;
      all.add(ratio);
      if (spells.get(i).isEmpty()) kept.add(ratio);
      else left.add("round " + (i + 1) + " (" + spells.get(i) + ")");
    }
    if (all.isEmpty()) return String.format("%nMedian ratio over the rounds: **n/a** (target: at least 1.5x).%n%n");
    if (kept.isEmpty()) {
      return String.format("%nMedian ratio over the rounds: **%.2fx** (target: at least 1.5x); every round had a slow spell.%n%n", median(all));
    }
    String why = left.isEmpty() ? "" : String.format(" Left out, a system in a slow spell (%.2fx or more its fastest round's seconds per"
        + " epoch): %s; over every round %.2fx.", SLOW_SPELL, String.join("; ", left), median(all));
    return String.format("%nMedian ratio over the %d round(s) at full speed: **%.2fx** (target: at least 1.5x).%s%n%n", kept.size(),
        median(kept), why);
  }

  /** {@code bin/sparkprop train} of the shipped config into {@code dir} (no model saved), with {@code sets} as --set overrides. */
  private static void cliTrain(Path dir, String what, String... sets) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bin/sparkprop", "train", "--config", SHIPPED, "--master", "local[2]",
        "--set", "output.dir=" + dir, "--set", "output.model=\"\""));
    for (String kv : sets) cmd.addAll(List.of("--set", kv));
    RealPathBenchmark.output(new ProcessBuilder(cmd), "bin/sparkprop train (" + what + ")");
  }

  /** Training seconds (cumulative, without the evaluation) and validation accuracy per epoch, from a CLI run's metrics.jsonl lines. */
  static Curve cliCurve(List<String> metricsLines) throws IOException {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    List<Point> points = new ArrayList<>();
    double total = 0;
    for (String line : metricsLines) {
      if (!line.contains("\"elapsedSeconds\"")) continue; // epoch lines; step lines carry stepMillis
      com.fasterxml.jackson.databind.JsonNode j = json.readTree(line);
      total += j.path("seconds").asDouble();
      points.add(new Point(total, j.path("validationAccuracy").asDouble()));
    }
    return new Curve("Sparkprop (bin/sparkprop train)", points, points.isEmpty() ? Double.NaN : total / points.size(), "epoch");
  }

  /** One round's table row: each system's time to 0.88 and its epoch, their ratio, and their seconds per epoch. */
  static String roundRow(int round, Curve ours, Curve torch) {
    double a = ours.timeTo(0.88);
    double b = torch.timeTo(0.88);
    double ratio = ratio(ours, torch);
    List<Double> o = epochSeconds(ours);
    List<Double> t = epochSeconds(torch);
    return String.format("| %d | %s (%s) | %s (%s) | %s | %.2f, %.2f | %.2f |%n", round, fmt2(a), epochOf(ours, 0.88), fmt2(b),
        epochOf(torch, 0.88), Double.isNaN(ratio) ? "n/a" : String.format("%.2fx", ratio), o.isEmpty() ? Double.NaN : o.get(0),
        o.size() < 2 ? Double.NaN : median(o.subList(1, o.size())), median(t));
  }

  /** How many times longer PyTorch took to 0.88 than Sparkprop in one round (NaN when either never got there). */
  private static double ratio(Curve ours, Curve torch) {
    return torch.timeTo(0.88) / ours.timeTo(0.88);
  }

  private static List<Double> epochSeconds(Curve c) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < c.points().size(); i++) out.add(c.points().get(i).seconds() - (i == 0 ? 0 : c.points().get(i - 1).seconds()));
    return out;
  }

  private static String fmt2(double s) {
    return Double.isNaN(s) ? "not reached" : String.format("%.2f", s);
  }

  private static String epochOf(Curve c, double acc) {
    for (int i = 0; i < c.points().size(); i++) if (c.points().get(i).accuracy() >= acc) return Integer.toString(i + 1);
    return "-";
  }

  private static double median(List<Double> v) {
    if (v.isEmpty()) return Double.NaN;
    List<Double> s = new ArrayList<>(v);
    java.util.Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static Curve sparkprop(JavaSparkContext sc, JobConfig cfg, PackedData train, PackedData test, String name) {
    int batch = cfg.integer("training.batch-size", 1, Integer.MAX_VALUE);
    TrainingSpec spec = cfg.trainingSpec((train.rows() + batch - 1) / batch);
    DistributedTrainer t = new DistributedTrainer(sc, spec, train, name).stepsPerJob(cfg.integer("training.steps-per-job", 0, 1 << 30));
    List<Point> points = new ArrayList<>();
    double[] total = {0};
    t.fit(new FitOptions(cfg.integer("training.epochs", 1, 1000), test, 1, 0), (EpochReport r) -> {
      total[0] += r.seconds();
      points.add(new Point(total[0], r.validation().accuracy()));
      System.err.printf("%s epoch %d: %.1f s, test accuracy %.4f%n", name, r.epoch() + 1, total[0], r.validation().accuracy());
    });
    return new Curve(name, points, total[0] / points.size(), "epoch");
  }

  /** The packed examples as MLlib's (features: dense vector of doubles, label: double). */
  static Dataset<Row> frame(SparkSession spark, ExampleSet set) {
    int d = set.features();
    JavaRDD<Row> rows = set.blocks().flatMap((Examples e) -> {
      List<Row> out = new ArrayList<>(e.rows());
      for (int r = 0; r < e.rows(); r++) {
        double[] x = new double[d];
        for (int i = 0; i < d; i++) x[i] = e.x()[r * d + i];
        out.add(RowFactory.create(Vectors.dense(x), (double) e.y()[r]));
      }
      return out.iterator();
    });
    StructType schema = new StructType(new StructField[] {new StructField("features", new VectorUDT(), false, Metadata.empty()),
        DataTypes.createStructField("label", DataTypes.DoubleType, false)});
    return spark.createDataFrame(rows, schema);
  }

  static String chart(List<Curve> curves, String out) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart c = new XYChartBuilder().width(900).height(500).title("Fashion-MNIST: test accuracy against training time (local[2])")
        .xAxisTitle("training seconds").yAxisTitle("test accuracy").build();
    c.getStyler().setYAxisMin(0.6).setYAxisMax(0.92);
    c.getStyler().setXAxisLogarithmic(true);
    for (Curve cv : curves) {
      c.addSeries(cv.system(), cv.points().stream().mapToDouble(Point::seconds).toArray(),
          cv.points().stream().mapToDouble(p -> Math.max(0.6, p.accuracy())).toArray()).setMarker(SeriesMarkers.CIRCLE);
    }
    Files.createDirectories(Path.of(out));
    BitmapEncoder.saveBitmap(c, Path.of(out, "time-to-accuracy").toString(), BitmapEncoder.BitmapFormat.PNG);
    return "time-to-accuracy.png";
  }

  static String fmt(double s) {
    return Double.isNaN(s) ? "not reached" : String.format("%.1f", s);
  }

  private static String outDir = "docs";

  /** Starts a section, first saving everything measured so far (a later failure keeps it). */
  private static void section(StringBuilder md, String title) {
    save(md);
    md.append("## ").append(title).append("\n\n");
    System.err.println("== " + title);
  }

  private static void save(StringBuilder md) {
    try {
      Files.createDirectories(Path.of(outDir));
      Path page = Path.of(outDir, "benchmarks.md");
      String existing = Files.exists(page) ? Files.readString(page) : "# Benchmarks\n";
      Files.writeString(page, replaceSuiteSection(existing, md.toString()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
