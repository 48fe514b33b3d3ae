package io.sparkprop.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.driver.job.Session;
import io.sparkprop.driver.job.TrainingJob;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every subcommand run as a user runs it, in process, with its exit code and output. */
class CliTest {
  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  static synchronized Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Sparkprop.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  String[] quick(String... more) {
    String[] base = {"train", "--config", "../conf/quickstart.conf", "--master", "local[2]", "--set", "training.epochs=4",
        "--set", "data.generator.rows=2000", "--set", "output.dir=" + dir.resolve("run"),
        "--set", "output.model=\"" + dir.resolve("run") + "/model-{time}\""}; // a later --set output.model wins
    return Stream.concat(Stream.of(base), Stream.of(more)).toArray(String[]::new);
  }

  @Test
  void version_andHelp() {
    Run v = run("--version");
    assertEquals(0, v.code());
    assertTrue(v.out().startsWith("sparkprop "), v.out());
    Run h = run("train", "--help");
    assertEquals(0, h.code());
    assertTrue(h.out().contains("--config") && h.out().contains("--set"), h.out());
    Run none = run();
    assertEquals(2, none.code(), none.err());
  }

  @Test
  void trainEvaluatePredict_endToEnd() throws Exception {
    String model = dir.resolve("model").toString();
    Run t = run(quick("--set", "output.model=" + model, "--set", "output.step-metrics=true"));
    assertEquals(0, t.code(), t.out() + t.err());
    assertTrue(t.out().contains("epoch   4/4"), t.out());
    assertTrue(t.out().contains("test: accuracy"), t.out());
    List<String> metrics = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
    List<String> epochLines = metrics.stream().filter(l -> l.startsWith("{\"epoch\"")).toList();
    assertEquals(4, epochLines.size());
    assertTrue(epochLines.get(3).contains("\"validationAccuracy\""), epochLines.get(3));
    List<String> stepLines = metrics.stream().filter(l -> l.startsWith("{\"step\"")).toList();
    assertEquals(4 * 16, stepLines.size(), "2000 rows / batch 128 = 16 steps per epoch");
    for (String key : new String[] {"\"stepMillis\":", "\"slowestTaskMillis\":", "\"updateMillis\":"}) {
      assertTrue(stepLines.get(20).contains(key), key + " in " + stepLines.get(20));
    }
    String html = Files.readString(dir.resolve("run/report.html"));
    assertTrue(html.contains("data:image/png;base64,") && html.contains("Decision regions") && html.contains("Confusion matrix"));
    assertTrue(Files.exists(dir.resolve("model/weights.bin")));

    Run e = run("evaluate", "--model", model, "--data", "unused-for-generated", "--master", "local[2]");
    assertEquals(0, e.code(), e.out() + e.err());
    assertTrue(e.out().matches("(?s).*accuracy 0\\.\\d+, log loss .*\\(500 examples\\).*"), e.out());

    String pred = dir.resolve("pred.csv").toString();
    Run p = run("predict", "--model", model, "--data", "unused", "--output", pred, "--master", "local[2]");
    assertEquals(0, p.code(), p.out() + p.err());
    List<String> lines;
    try (Stream<Path> parts = Files.list(Path.of(pred))) {
      lines = parts.filter(f -> f.getFileName().toString().endsWith(".csv"))
          .flatMap(f -> {
            try {
              return Files.readAllLines(f).stream();
            } catch (java.io.IOException ex) {
              throw new java.io.UncheckedIOException(ex);
            }
          }).toList();
    }
    assertTrue(lines.get(0).equals("id,prediction,p0,p1,p2"), lines.get(0));
    assertEquals(500, lines.stream().filter(l -> !l.startsWith("id,")).count());

    String onnx = dir.resolve("model.onnx").toString();
    Run x = run("export", "--model", model, "--format", "onnx", "--output", onnx);
    assertEquals(0, x.code(), x.out() + x.err());
    ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
    try (ai.onnxruntime.OrtSession s = env.createSession(onnx, new ai.onnxruntime.OrtSession.SessionOptions())) {
      assertEquals(List.of("probabilities"), List.copyOf(s.getOutputNames()));
    }
    Run again = run("export", "--model", model, "--format", "onnx", "--output", onnx);
    assertEquals(2, again.code());
    assertTrue(again.err().contains("already exists"), again.err());
    Run fmt = run("export", "--model", model, "--format", "pmml", "--output", onnx + "2");
    assertEquals(2, fmt.code());

    Run warm = run(quick("--set", "training.init-from=" + model, "--set", "training.epochs=1"));
    assertEquals(0, warm.code(), warm.out() + warm.err());
    assertTrue(warm.out().contains("warm start from"), warm.out());
  }

  @Test
  void csvModel_predictsUnlabeledData() throws Exception {
    Path train = dir.resolve("train.csv");
    StringBuilder b = new StringBuilder("x,y,label\n");
    java.util.SplittableRandom r = new java.util.SplittableRandom(1);
    for (int i = 0; i < 400; i++) {
      double x = r.nextGaussian();
      double y = r.nextGaussian();
      b.append(x).append(',').append(y).append(',').append(x + y > 0 ? 1 : 0).append('\n');
    }
    Files.writeString(train, b);
    Path unlabeled = dir.resolve("new.csv");
    Files.writeString(unlabeled, "x,y\n2.0,2.0\n-2.0,-2.0\n");
    String model = dir.resolve("csvmodel").toString();
    Run t = run("train", "--master", "local[2]", "--set", "data.format=csv", "--set", "data.train=" + train, "--set",
        "model.layers=[2, 8, 2]", "--set", "training.epochs=20", "--set", "optimizer.learning-rate=0.05", "--set",
        "output.dir=" + dir.resolve("csvrun"), "--set", "output.model=" + model);
    assertEquals(0, t.code(), t.out() + t.err());
    String out = dir.resolve("scores.csv").toString();
    Run p = run("predict", "--model", model, "--data", unlabeled.toString(), "--output", out, "--unlabeled", "--master", "local[2]");
    assertEquals(0, p.code(), p.out() + p.err());
    List<String> lines;
    try (Stream<Path> parts = Files.list(Path.of(out))) {
      lines = parts.filter(f -> f.getFileName().toString().endsWith(".csv")).flatMap(f -> {
        try {
          return Files.readAllLines(f).stream();
        } catch (java.io.IOException ex) {
          throw new java.io.UncheckedIOException(ex);
        }
      }).filter(l -> !l.startsWith("id")).sorted().toList();
    }
    assertEquals(2, lines.size());
    assertTrue(lines.get(0).startsWith("0,1,"), lines.get(0)); // (2, 2): class 1
    assertTrue(lines.get(1).startsWith("1,0,"), lines.get(1)); // (-2, -2): class 0
  }

  /**
   * A SparkSession costs about 1 s of a fresh JVM; a run that reads no Spark SQL format builds
   * none, and one that does builds it on the run's own context.
   */
  @Test
  void sparkSession_onlyForSparkSqlFormats() throws Exception {
    PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
    Path csv = SampleFiles.csv(dir, "s.csv", "x,y,label", 200);
    String parquet = dir.resolve("s.parquet").toString();
    try (Session s = Session.open("local[2]", "no-sql")) {
      TrainingJob.trainAndSave(s, io.sparkprop.driver.config.JobConfig.load("../conf/quickstart.conf", List.of("training.epochs=1",
          "data.generator.rows=500", "output.dir=" + dir.resolve("g"), "output.model=\"\"")), quiet, false);
      TrainingJob.trainAndSave(s, io.sparkprop.driver.config.JobConfig.load((String) null, List.of("data.format=csv", "data.train=" + csv,
          "model.layers=[2, 4, 2]", "training.epochs=1", "output.dir=" + dir.resolve("c"), "output.model=\"\"")), quiet, false);
      assertFalse(s.hasSparkSession(), "generated and csv data built a SparkSession");
      assertEquals(3, s.spark().range(3).count()); // built on demand, on the run's context
      assertEquals(s.sc(), s.spark().sparkContext());
    }
    try (Session s = Session.open("local[2]", "sql")) {
      s.spark().createDataFrame(List.of(new org.apache.spark.ml.feature.LabeledPoint(1, org.apache.spark.ml.linalg.Vectors.dense(1, 2)),
          new org.apache.spark.ml.feature.LabeledPoint(0, org.apache.spark.ml.linalg.Vectors.dense(-1, -2))),
          org.apache.spark.ml.feature.LabeledPoint.class).write().parquet(parquet);
    }
    try (Session s = Session.open("local[2]", "parquet")) {
      TrainingJob.trainAndSave(s, io.sparkprop.driver.config.JobConfig.load((String) null, List.of("data.format=parquet", "data.train=" + parquet,
          "model.layers=[2, 4, 2]", "training.epochs=1", "output.dir=" + dir.resolve("p"), "output.model=\"\"")), quiet, false);
      assertTrue(s.hasSparkSession(), "parquet is read through a SparkSession");
      assertEquals(s.sc(), s.spark().sparkContext());
    }
  }

  /**
   * Loading, checking, packing, training and reporting hand Spark no closure for its
   * ClosureCleaner to read (Rdds): every cleaning parses the bytecode of a Spark class, which in
   * a fresh JVM cost a JIT compiler about a second of a core. Counted from the cleaner's own
   * debug lines; the last step checks that the count sees a cleaning when there is one.
   */
  @Test
  void trainingPath_handsSparkNoClosureToClean() throws Exception {
    PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
    Path csv = SampleFiles.csv(dir, "n.csv", "x,y,label", 300);
    Path svm = SampleFiles.libsvm(dir, "n.svm", 300);
    List<List<String>> runs = new java.util.ArrayList<>(List.of(
        List.of("data.generator.rows=600", "data.scaling=standard"),
        List.of("data.format=csv", "data.train=" + csv, "model.layers=[2, 4, 2]", "data.validation-fraction=0.2",
            "data.scaling=min-max"),
        List.of("data.format=libsvm", "data.train=" + svm, "model.layers=[2, 4, 2]", "data.test=" + svm,
            "training.data-placement=disk")));
    if (Files.exists(Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))) {
      runs.add(List.of("data.format=idx", "data.train=/usr/share/datasets/fashion-mnist/t10k", "model.layers=[784, 8, 10]",
          "model.activation=relu", "data.validation-fraction=0.1"));
    }
    String cleaner = "org.apache.spark.util.ClosureCleaner";
    List<String> cleaned = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    org.apache.logging.log4j.core.appender.AbstractAppender counter = new org.apache.logging.log4j.core.appender.AbstractAppender(
        "closure-count", null, null, true, org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
      @Override
      public void append(org.apache.logging.log4j.core.LogEvent e) {
        String m = e.getMessage().getFormattedMessage();
        if (m.contains("Cleaning")) cleaned.add(m);
      }
    };
    counter.start();
    try (Session s = Session.open("local[2]", "no-cleaning")) {
      org.apache.logging.log4j.core.config.Configurator.setLevel(cleaner, org.apache.logging.log4j.Level.DEBUG);
      org.apache.logging.log4j.core.LoggerContext ctx = org.apache.logging.log4j.core.LoggerContext.getContext(false);
      ctx.getConfiguration().getLoggerConfig(cleaner).addAppender(counter, org.apache.logging.log4j.Level.DEBUG, null);
      ctx.updateLoggers();
      for (int i = 0; i < runs.size(); i++) {
        List<String> sets = new java.util.ArrayList<>(runs.get(i));
        sets.addAll(List.of("training.epochs=2", "output.dir=" + dir.resolve("n" + i), "output.model=\"\""));
        TrainingJob.trainAndSave(s, io.sparkprop.driver.config.JobConfig.load(i == 0 ? "../conf/quickstart.conf" : null, sets), quiet, false);
        assertEquals(List.of(), cleaned, "closures cleaned on the training path of " + runs.get(i));
      }
      s.jsc().parallelize(List.of(1, 2), 2).map(x -> x + 1).collect();
      assertFalse(cleaned.isEmpty(), "a JavaRDD.map is cleaned and counted");
    } finally {
      org.apache.logging.log4j.core.LoggerContext ctx = org.apache.logging.log4j.core.LoggerContext.getContext(false);
      ctx.getConfiguration().getLoggerConfig(cleaner).removeAppender("closure-count");
      org.apache.logging.log4j.core.config.Configurator.setLevel(cleaner, org.apache.logging.log4j.Level.WARN);
    }
  }

  @Test
  void badConfig_exitsWith2AndNamesTheKey() {
    Run r = run(quick("--set", "optimizer.learning-rat=0.1"));
    assertEquals(2, r.code());
    assertTrue(r.err().contains("did you mean 'optimizer.learning-rate'"), r.err());
  }

  @Test
  void badData_exitsWith2NamingFileAndLine_andWritesNoModel() throws Exception {
    Path csv = dir.resolve("bad.csv");
    Files.writeString(csv, "a,b,label\n0.1,0.2,0\n0.3,NaN,1\n");
    String model = dir.resolve("never").toString();
    Run r = run("train", "--master", "local[2]", "--set", "data.format=csv", "--set", "data.train=" + csv,
        "--set", "model.layers=[2, 4, 2]", "--set", "output.dir=" + dir.resolve("r"), "--set", "output.model=" + model);
    assertEquals(2, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("bad.csv line 3: feature column 'b' is NaN"), r.err());
    assertFalse(Files.exists(Path.of(model)));
  }

  @Test
  void existingModelDirectory_exitsWith2BeforeTraining() throws Exception {
    Path existing = Files.createDirectories(dir.resolve("exists"));
    Run r = run(quick("--set", "output.model=" + existing));
    assertEquals(2, r.code());
    assertTrue(r.err().contains("already exists"), r.err());
    assertFalse(r.out().contains("epoch"), r.out());
  }

  @Test
  void quiet_printsOnlyTheResult_andEpochLinesHaveNoBlankLines() {
    Run q = run(quick("--set", "output.model=" + dir.resolve("quiet"), "-q"));
    assertEquals(0, q.code(), q.out() + q.err());
    List<String> lines = q.out().lines().toList();
    assertEquals(2, lines.size(), q.out());
    assertTrue(lines.get(0).startsWith("test: accuracy") && lines.get(1).startsWith("model written to"), q.out());
    Run plain = run(quick());
    assertFalse(plain.out().contains("\n\n"), "no blank line after the epoch lines:\n" + plain.out());
    assertEquals(4, plain.out().lines().filter(l -> l.startsWith("epoch ")).count(), plain.out());
  }

  @Test
  void stringClassLabels_endToEnd_namesInModelPredictionsAndPerClassMetrics() throws Exception {
    String[] names = {"setosa", "Iris \"versicolor\"", "virginica, var."}; // a quote and a delimiter inside names
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    StringBuilder train = new StringBuilder("x,y,\"species, as named\"\r\n"); // a quoted header with the delimiter, CRLF
    for (int i = 0; i < 600; i++) {
      int c = r.nextInt(3);
      train.append(c * 2 + r.nextGaussian() * 0.4).append(',').append((c % 2) * 2 + r.nextGaussian() * 0.4)
          .append(",\"").append(names[c].replace("\"", "\"\"")).append("\"\r\n");
    }
    Path csv = dir.resolve("species.csv");
    Files.writeString(csv, train);
    String model = dir.resolve("species-model").toString();
    Run t = run("train", "--master", "local[2]", "--set", "data.format=csv", "--set", "data.train=" + csv, "--set",
        "data.label-columns=[\"species, as named\"]", "--set", "data.label-type=string", "--set", "model.layers=[2, 16, 3]",
        "--set", "training.epochs=15", "--set", "optimizer.learning-rate=0.02", "--set", "output.dir=" + dir.resolve("sp"),
        "--set", "output.model=" + model);
    assertEquals(0, t.code(), t.out() + t.err());
    assertTrue(t.out().contains("classes: [Iris \"versicolor\", setosa, virginica, var.]"), t.out());
    assertTrue(Files.readString(Path.of(model, "model.json")).contains("\"labels\" : [ \"Iris \\\"versicolor\\\"\", \"setosa\", \"virginica, var.\" ]"));

    Run e = run("evaluate", "--model", model, "--data", csv.toString(), "--master", "local[2]");
    assertEquals(0, e.code(), e.out() + e.err());
    assertTrue(e.out().matches("(?s).*versicolor\"\\s+\\d\\.\\d{4}\\s+\\d\\.\\d{4}\\s+\\d\\.\\d{4}\\s+\\d+.*"), e.out());
    assertTrue(e.out().contains("confusion matrix") && e.out().contains("virginica, var."), e.out());

    String pred = dir.resolve("species-pred.csv").toString();
    Run p = run("predict", "--model", model, "--data", csv.toString(), "--output", pred, "--master", "local[2]");
    assertEquals(0, p.code(), p.out() + p.err());
    try (Stream<Path> parts = Files.list(Path.of(pred))) {
      List<String> rows = parts.filter(f -> f.toString().endsWith(".csv")).flatMap(f -> {
        try {
          return Files.readAllLines(f).stream();
        } catch (java.io.IOException ex) {
          throw new java.io.UncheckedIOException(ex);
        }
      }).filter(l -> !l.startsWith("id")).toList();
      assertEquals(600, rows.size());
      // RFC 4180: fields with a quote or a comma are quoted, a quote inside one doubled
      assertTrue(rows.stream().allMatch(l -> l.matches("\\d+,(setosa|\"Iris \"\"versicolor\"\"\"|\"virginica, var\\.\"),.*")),
          String.join("\n", rows.subList(0, 5)));
    }

    Path unknown = dir.resolve("unknown.csv");
    Files.writeString(unknown, "x,y,\"species, as named\"\n0.1,0.2,setosa\n0.3,0.1,rosa\n");
    Run u = run("evaluate", "--model", model, "--data", unknown.toString(), "--master", "local[2]");
    assertEquals(2, u.code(), u.out() + u.err());
    assertTrue(u.err().contains("line 3: label column 'species, as named' holds 'rosa', which is not one of the 3 known classes"),
        u.err());
  }

  @Test
  void stringClassLabels_fromJson_throughSparksReader() throws Exception {
    String[] names = {"cat", "dog"};
    java.util.SplittableRandom r = new java.util.SplittableRandom(9);
    StringBuilder json = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      int c = r.nextInt(2);
      json.append("{\"features\": [").append(c * 3 + r.nextGaussian()).append(", ").append(r.nextGaussian())
          .append("], \"animal\": \"").append(names[c]).append("\"}\n");
    }
    Path data = dir.resolve("animals.json");
    Files.writeString(data, json);
    String model = dir.resolve("animals-model").toString();
    Run t = run("train", "--master", "local[2]", "--set", "data.format=json", "--set", "data.train=" + data, "--set",
        "data.label-columns=[animal]", "--set", "data.label-type=string", "--set", "model.layers=[2, 8, 2]", "--set",
        "training.epochs=5", "--set", "optimizer.learning-rate=0.02", "--set", "output.dir=" + dir.resolve("an"), "--set",
        "output.model=" + model);
    assertEquals(0, t.code(), t.out() + t.err());
    assertTrue(t.out().contains("classes: [cat, dog]"), t.out());
    Run e = run("evaluate", "--model", model, "--data", data.toString(), "--master", "local[2]");
    assertEquals(0, e.code(), e.out() + e.err());
    assertTrue(e.out().contains("cat") && e.out().contains("dog") && e.out().contains("precision"), e.out());
  }
}
