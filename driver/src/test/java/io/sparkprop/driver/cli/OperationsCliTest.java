package io.sparkprop.driver.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.driver.cli.CliTest.Run;
import io.sparkprop.driver.model.Model;
import io.sparkprop.driver.model.ModelFiles;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints, resume, the divergence guard and warm starts, run through the CLI as a scheduled
 * job runs them; the driver-kill test SIGKILLs a real driver JVM.
 */
class OperationsCliTest {
  @TempDir Path dir;

  /** Spirals with validation and patience on, so the early-stopping state crosses any interruption. */
  String[] spirals(String tag, String... more) {
    String[] base = {"train", "--config", "../conf/quickstart.conf", "--master", "local[2]", "--set", "training.epochs=6",
        "--set", "data.generator.rows=4000", "--set", "training.batch-size=64", "--set", "training.patience=2",
        "--set", "output.dir=" + dir.resolve("run-" + tag), "--set", "output.model=" + dir.resolve("model-" + tag)};
    return Stream.concat(Stream.of(base), Stream.of(more)).toArray(String[]::new);
  }

  /** The linear regression that diverges at learning rate 3.5 (global step 94, after the checkpoint at step 80). */
  String[] diverging(String tag, String... more) {
    String[] base = {"train", "--config", "../conf/regression.conf", "--master", "local[2]", "--set", "training.epochs=6",
        "--set", "data.generator.rows=4000", "--set", "model.layers=[20,3]", "--set", "optimizer.name=sgd",
        "--set", "optimizer.schedule=constant", "--set", "optimizer.learning-rate=3.5", "--set", "optimizer.warmup-steps=0",
        "--set", "data.scaling=none", "--set", "output.dir=" + dir.resolve("run-" + tag),
        "--set", "output.model=" + dir.resolve("model-" + tag), "--set", "output.checkpoints=" + dir.resolve("ckpt-" + tag),
        "--set", "output.checkpoint-every-steps=20"};
    return Stream.concat(Stream.of(base), Stream.of(more)).toArray(String[]::new);
  }

  static List<String> javaCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-javaagent") && !a.startsWith("-agentlib")) cmd.add(a);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    cmd.add(Sparkprop.class.getName());
    return cmd;
  }

  @Test
  void driverKilledAfterACheckpoint_rerunResumesToByteIdenticalWeights() throws Exception {
    Run whole = CliTest.run(spirals("whole"));
    assertEquals(0, whole.code(), whole.out() + whole.err());

    Path ckpt = dir.resolve("ckpt");
    String[] job = spirals("killed", "--set", "output.checkpoints=" + ckpt, "--set", "output.checkpoint-every-steps=40");
    List<String> cmd = javaCommand();
    cmd.addAll(List.of(job));
    Process driver = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("driver.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!hasCheckpoint(ckpt) && driver.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
    assertTrue(driver.isAlive(), "the driver was still training when its first checkpoint appeared: "
        + Files.readString(dir.resolve("driver.log")));
    driver.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
    driver.waitFor();
    assertFalse(Files.exists(dir.resolve("model-killed")), "no model from the killed run");

    Run resumed = CliTest.run(job);
    assertEquals(0, resumed.code(), resumed.out() + resumed.err());
    assertTrue(resumed.out().matches("(?s).*resuming from \\S+ckpt-0+\\d+ at epoch \\d, step \\d+ \\(global step \\d+\\).*"),
        resumed.out());
    assertArrayEquals(Files.readAllBytes(dir.resolve("model-whole/weights.bin")),
        Files.readAllBytes(dir.resolve("model-killed/weights.bin")), "weights.bin of the resumed run");
  }

  static boolean hasCheckpoint(Path ckpt) {
    File[] f = ckpt.toFile().listFiles((d, n) -> n.startsWith("ckpt-"));
    return f != null && f.length > 0;
  }

  @Test
  void resume_refusesAnotherRun_acceptsMoreEpochs_andFreshStartsOver() throws Exception {
    Path ckpt = dir.resolve("ckpt");
    String c = "output.checkpoints=" + ckpt;
    Run first = CliTest.run(spirals("a", "--set", c, "--set", "training.epochs=2", "--set", "training.patience=0"));
    assertEquals(0, first.code(), first.out() + first.err());

    Run other = CliTest.run(spirals("b", "--set", c, "--set", "training.epochs=2", "--set", "training.patience=0",
        "--set", "optimizer.learning-rate=0.02"));
    assertEquals(2, other.code(), other.out() + other.err());
    assertTrue(other.err().contains("belongs to another run") && other.err().contains("optimizer.learning-rate was 0.01, now 0.02")
        && other.err().contains("--fresh"), other.err());
    assertFalse(Files.exists(dir.resolve("model-b")));

    Run longer = CliTest.run(spirals("c", "--set", c, "--set", "training.epochs=3", "--set", "training.patience=0"));
    assertEquals(0, longer.code(), longer.out() + longer.err());
    assertTrue(longer.out().contains("resuming from") && longer.out().contains("(global step 126)"), longer.out());
    assertTrue(longer.out().contains("epoch   3/3") && !longer.out().contains("epoch   1/3"), longer.out());

    Run fresh = CliTest.run(spirals("d", "--set", c, "--set", "training.epochs=1", "--set", "training.patience=0",
        "--set", "optimizer.learning-rate=0.02", "--fresh"));
    assertEquals(0, fresh.code(), fresh.out() + fresh.err());
    assertTrue(fresh.out().contains("--fresh: deleted") && !fresh.out().contains("resuming"), fresh.out());
  }

  @Test
  void divergence_exits4NamingTheStepAndTheLastGoodCheckpoint_andWritesNoModel() {
    Run r = CliTest.run(diverging("stop"));
    assertEquals(4, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("training diverged at global step 94") && r.err().contains("ckpt-000000000080 (global step 80)")
        && r.err().contains("optimizer.learning-rate (now 3.5)") && r.err().contains("clip-norm"), r.err());
    assertFalse(Files.exists(dir.resolve("model-stop")), "no model is written after a divergence");
  }

  @Test
  void divergence_withRollback_continuesFromTheLastCheckpointAtALowerRate() {
    // this run's trajectory grows from its first step, so only its initial state is a sane restart point:
    // checkpoints are rare enough that none is written before the divergence
    Run r = CliTest.run(diverging("rollback", "--set", "training.on-divergence=rollback", "--set",
        "training.divergence-lr-factor=0.1", "--set", "output.checkpoint-every-steps=1000"));
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("rolling back to global step 0 with learning rate x0.1 (rollback 1 of 3)"), r.err());
    Model m = ModelFiles.load(dir.resolve("model-rollback").toString(), new Configuration()); // every weight finite
    assertTrue(m.metrics().get("test_mse") < 0.05, "converged after the rollback: " + m.metrics());

    Run giveUp = CliTest.run(diverging("giveup", "--set", "training.on-divergence=rollback", "--set",
        "training.divergence-lr-factor=0.99", "--set", "training.max-rollbacks=2"));
    assertEquals(4, giveUp.code(), giveUp.out() + giveUp.err());
    assertTrue(giveUp.err().contains("gave up after 2 rollback(s)"), giveUp.err());
  }

  @Test
  void warmStart_carriesScalingAndOptimizerState_andNamesMismatches() throws Exception {
    String base = dir.resolve("model-base").toString();
    Run t = CliTest.run(spirals("base", "--set", "training.epochs=1", "--set", "data.scaling=standard",
        "--set", "output.save-optimizer-state=true"));
    assertEquals(0, t.code(), t.out() + t.err());
    assertTrue(t.out().contains("(with optimizer state)"), t.out());
    Configuration conf = new Configuration();
    Model before = ModelFiles.load(base, conf);

    Run warm = CliTest.run(spirals("warm", "--set", "training.epochs=1", "--set", "data.scaling=standard",
        "--set", "training.init-from=" + base, "--set", "training.init-optimizer=true", "--set", "data.generator.rows=3000"));
    assertEquals(0, warm.code(), warm.out() + warm.err());
    assertTrue(warm.out().contains("warm start from " + base + " (with its optimizer state after 63 steps)"), warm.out());
    Model after = ModelFiles.load(dir.resolve("model-warm").toString(), conf);
    assertArrayEquals(before.scaling().offset(), after.scaling().offset(), 0f, "the scaling is carried over, not refitted");
    assertArrayEquals(before.scaling().scale(), after.scaling().scale(), 0f);

    Run scaling = CliTest.run(spirals("s", "--set", "training.init-from=" + base));
    assertEquals(2, scaling.code(), scaling.out() + scaling.err());
    assertTrue(scaling.err().contains("was trained with standard scaling"), scaling.err());

    Run shape = CliTest.run(spirals("x", "--set", "training.init-from=" + base, "--set", "data.scaling=standard",
        "--set", "model.layers=[2, 32, 3]"));
    assertEquals(2, shape.code());
    assertTrue(shape.err().contains("[2, 64, 64, 3]") && shape.err().contains("[2, 32, 3]"), shape.err());

    Run noState = CliTest.run(spirals("n", "--set", "training.init-from=" + dir.resolve("model-warm"),
        "--set", "data.scaling=standard", "--set", "training.init-optimizer=true"));
    assertEquals(2, noState.code());
    assertTrue(noState.err().contains("saved without its optimizer state"), noState.err());
  }
}
