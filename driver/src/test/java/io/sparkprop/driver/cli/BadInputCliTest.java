package io.sparkprop.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.driver.cli.CliTest.Run;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad-input rule through the CLI, as a new user meets it: exit 2, one message that names
 * the problem and the place, nothing written (no model, no run folder), no stack trace on stderr
 * and no Spark WARN or ERROR about a task (the data check returns problems instead of failing
 * tasks, so nothing is retried either).
 */
class BadInputCliTest {
  @TempDir static Path dir;
  static final List<String> SPARK_EVENTS = new CopyOnWriteArrayList<>();
  static Capture capture;

  /** Records Spark's WARN and ERROR log events while a case runs. */
  static final class Capture extends AbstractAppender {
    Capture() {
      super("sparkprop-test-capture", null, null, true, Property.EMPTY_ARRAY);
    }

    @Override
    public void append(LogEvent e) {
      if (e.getLevel().isMoreSpecificThan(Level.WARN) && e.getLoggerName().startsWith("org.apache.spark")) {
        SPARK_EVENTS.add(e.getLevel() + " " + e.getLoggerName() + ": " + e.getMessage().getFormattedMessage());
      }
    }
  }

  @BeforeAll
  static void files() throws Exception {
    // Spark configures log4j when its first context starts; attach the capture after that, at the
    // level the CLI sets (WARN), so that it sees what a user's console would
    org.apache.spark.sql.SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").getOrCreate().stop();
    org.apache.logging.log4j.core.config.Configurator.setRootLevel(Level.WARN);
    capture = new Capture();
    capture.start();
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    ctx.getConfiguration().getRootLogger().addAppender(capture, Level.ALL, null);
    ctx.updateLoggers();
    LogManager.getLogger("org.apache.spark.scheduler.TaskSetManager").warn("probe"); // the capture sees Spark's loggers
    if (!SPARK_EVENTS.remove("WARN org.apache.spark.scheduler.TaskSetManager: probe")) {
      throw new IllegalStateException("the log capture does not see Spark's WARN events: " + SPARK_EVENTS);
    }

    String good = "0.1,0.2,0\n0.2,0.1,1\n0.3,0.3,0\n0.4,0.1,1\n";
    write("nan.csv", "a,b,label\n0.1,0.2,0\n0.3,NaN,1\n" + good);
    write("word.csv", "a,b,label\n0.1,0.2,0\n0.3,abc,1\n" + good);
    write("extra.csv", "a,b,label\n0.1,0.2,0\n0.3,0.4,1,7\n" + good);
    write("range.csv", "a,b,label\n0.1,0.2,0\n0.3,0.4,7\n" + good);
    write("negative.csv", "a,b,label\n0.1,0.2,0\n0.3,0.4,-1\n" + good);
    write("fraction.csv", "a,b,label\n0.1,0.2,0\n0.3,0.4,0.5\n" + good);
    write("weights.csv", "a,b,label,w\n0.1,0.2,0,1\n0.3,0.4,1,-2\n");
    write("header-only.csv", "a,b,label\n");
    write("zero.csv", "");
    write("allbad.csv", "a,b,label\n0.1,x,0\n0.3,y,1\n");
    write("good.csv", "a,b,label\n" + good);
    write("token.svm", "0 1:0.1 2:0.2\n1 1:0.3 2:abc\n");
    write("order.svm", "0 1:0.1 2:0.2\n1 2:0.3 1:0.5\n");
    write("zeroindex.svm", "0 1:0.1 2:0.2\n1 0:0.3\n");
    write("minus.svm", "0 1:0.1 2:0.2\n-1 1:0.3\n");
    write("wide.svm", "0 1:0.1 2:0.2\n1 3:0.3\n");
    write("empty.svm", "");
    write("notidx-images-idx3-ubyte", "this is not an IDX file at all\n");
    write("notidx-labels-idx1-ubyte", "nor this\n");
    try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(dir.resolve("short-images-idx3-ubyte")))) {
      o.writeInt(0x803);
      o.writeInt(10);
      o.writeInt(2);
      o.writeInt(2);
      o.write(new byte[13]); // 10 images of 4 bytes promised, 13 bytes present
    }
    try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(dir.resolve("short-labels-idx1-ubyte")))) {
      o.writeInt(0x801);
      o.writeInt(10);
      o.write(new byte[10]);
    }
    Files.createDirectories(dir.resolve("emptydir"));
    Files.writeString(dir.resolve("broken.conf"), "model { layers = [2, 4, 2 \n");
  }

  @AfterAll
  static void detach() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    ctx.getConfiguration().getRootLogger().removeAppender(capture.getName());
    ctx.updateLoggers();
  }

  static void write(String name, String text) throws Exception {
    Files.writeString(dir.resolve(name), text);
  }

  static String p(String name) {
    return dir.resolve(name).toString();
  }

  static Arguments csv(String file, String expect, String... more) {
    List<String> a = new ArrayList<>(List.of("--set", "data.format=csv", "--set", "data.train=" + p(file), "--set", "model.layers=[2, 4, 2]"));
    a.addAll(List.of(more));
    return Arguments.of("csv " + file, a, expect);
  }

  static Arguments svm(String file, String expect, String... more) {
    List<String> a = new ArrayList<>(List.of("--set", "data.format=libsvm", "--set", "data.train=" + p(file), "--set",
        "model.layers=[2, 4, 2]"));
    a.addAll(List.of(more));
    return Arguments.of("libsvm " + file, a, expect);
  }

  static Arguments idx(String prefix, String expect) {
    return Arguments.of("idx " + prefix, List.of("--set", "data.format=idx", "--set", "data.train=" + p(prefix), "--set",
        "model.layers=[4, 4, 10]"), expect);
  }

  static Arguments config(String name, String expect, String... sets) {
    return Arguments.of(name, List.of(sets), expect);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        csv("nan.csv", "nan.csv line 3: feature column 'b' is NaN"),
        csv("word.csv", "word.csv line 3"),
        csv("extra.csv", "extra.csv line 3"),
        csv("range.csv", "range.csv line 3"),
        csv("negative.csv", "negative.csv line 3"),
        csv("fraction.csv", "fraction.csv line 3"),
        csv("weights.csv", "weights.csv line 3", "--set", "data.weight-column=w"),
        csv("header-only.csv", "holds no training examples"),
        csv("zero.csv", "zero.csv"),
        csv("allbad.csv", "after dropping 2 bad rows", "--set", "data.bad-rows=drop"),
        csv("good.csv", "'target'", "--set", "data.label-columns=[target]"),
        csv("good.csv", "has 2 features but the network's input layer has 3", "--set", "model.layers=[3, 4, 2]"),
        csv("nope*.csv", "nope*.csv"),
        csv("nan.csv", "nan.csv line 3: feature column 'b' is NaN", "--set", "training.data-placement=disk"),
        csv("good.csv", "MB are kept free: training.disk-reserve-mb", "--set", "training.data-placement=disk", "--set",
            "training.disk-reserve-mb=1000000000000"),
        csv("good.csv", "a training step needs", "--set", "training.block-rows=1048576", "--set", "model.layers=[2, 4096, 2]"),
        csv("emptydir", "holds no data files"),
        svm("token.svm", "token.svm line 2"),
        svm("order.svm", "order.svm line 2"),
        svm("zeroindex.svm", "zeroindex.svm line 2"),
        svm("minus.svm", "minus.svm line 2"),
        svm("wide.svm", "wide.svm line 2", "--set", "data.features=2"),
        svm("empty.svm", "holds no LibSVM row"),
        idx("notidx", "is not an IDX images file"),
        idx("short", "truncated"),
        idx("missing", "missing-images-idx3-ubyte"),
        config("unknown key", "did you mean 'optimizer.learning-rate'", "--set", "optimizer.learning-rat=0.1"),
        config("negative learning rate", "optimizer.learning-rate = -1.0", "--set", "optimizer.learning-rate=-1", "--set",
            "model.layers=[2, 4, 3]"),
        config("no layers", "model.layers is required", "--set", "data.format=generated"),
        config("bad placement", "training.data-placement = 'sometimes'; expected auto, memory or disk", "--set",
            "training.data-placement=sometimes", "--set", "model.layers=[2, 4, 3]"),
        config("bad activation", "model: ", "--set", "model.layers=[2, 3]", "--set", "model.activation=sigmoidd", "--set",
            "model.layers=[2, 4, 3]"),
        config("missing config file", "config file " + p("absent.conf") + " does not exist", "--config", p("absent.conf")),
        config("malformed config", "cannot parse " + p("broken.conf"), "--config", p("broken.conf")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void badInput_exits2WithOneMessage_writesNothing_andSparkLogsNoTaskFailure(String name, List<String> sets, String expect)
      throws Exception {
    String model = dir.resolve("model-" + name.replaceAll("\\W", "_")).toString();
    String run = dir.resolve("run-" + name.replaceAll("\\W", "_")).toString();
    List<String> args = new ArrayList<>(List.of("train", "--master", "local[2]", "--set", "output.dir=" + run, "--set",
        "output.model=" + model, "--set", "output.checkpoints=" + run + "-ckpt"));
    args.addAll(sets);
    SPARK_EVENTS.clear();
    Run r = CliTest.run(args.toArray(String[]::new));
    assertEquals(2, r.code(), name + ":\n" + r.out() + r.err());
    assertTrue(r.err().contains(expect), name + ": expected '" + expect + "' in:\n" + r.err());
    List<String> errLines = r.err().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, errLines.size(), name + ": one line on stderr, got:\n" + r.err());
    assertTrue(errLines.get(0).startsWith("sparkprop: error: "), errLines.get(0));
    assertFalse(r.err().matches("(?s).*\\n\\s+at [\\w.$]+\\(.*"), name + ": a stack trace:\n" + r.err());
    assertTrue(SPARK_EVENTS.isEmpty(), name + ": Spark logged " + SPARK_EVENTS);
    assertFalse(Files.exists(Path.of(model)), name + ": a model was written");
    assertFalse(Files.exists(Path.of(run + "-ckpt")), name + ": a checkpoint was written");
    assertFalse(Files.exists(Path.of(run, "report.html")), name + ": a report was written");
    System.out.println(name + " -> " + errLines.get(0));
  }
}
