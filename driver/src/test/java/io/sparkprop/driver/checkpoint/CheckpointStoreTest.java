package io.sparkprop.driver.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.driver.data.DataFingerprint;
import io.sparkprop.driver.loop.EpochReport;
import io.sparkprop.driver.loop.TrainingState;
import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.optim.OptimizerState;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Checkpoints round-trip exactly, are pruned, and damaged ones are detected and skipped. */
class CheckpointStoreTest {
  @TempDir Path dir;
  final Configuration conf = new Configuration();

  static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
    return a;
  }

  static TrainingState state(long step, boolean withBest) {
    List<EpochReport> history = new ArrayList<>();
    history.add(new EpochReport(0, 10, 10, 0.6931471805599453, new EvalSums(12.5, 80, 0, 0, 100, 100), 1.25, 800.0));
    history.add(new EpochReport(1, 10, 20, Double.NaN, null, 0.5, 2000.0));
    return new TrainingState(random(50, step), OptimizerState.restore(step, random(100, step + 1), 7), 0,
        withBest ? 0.8125 : Double.NaN, withBest ? random(50, 99) : null, withBest ? 0 : -1, 1, false,
        new LossSum(3.25, 4.0, 4), history, 0.25, 2);
  }

  static RunIdentity identity() {
    TreeMap<String, String> cfg = new TreeMap<>();
    cfg.put("optimizer.learning-rate", "0.001");
    cfg.put("model.layers", "[4,5,3]");
    return new RunIdentity(cfg, new DataFingerprint(1000, 4, 1, 0xfedcba9876543210L), 2, 50, 100);
  }

  CheckpointStore store(int keep) {
    return new CheckpointStore(dir.resolve("ckpt").toString(), conf, keep);
  }

  static void assertSame(TrainingState a, TrainingState b) {
    assertArrayEquals(a.params(), b.params(), 0f);
    assertTrue(a.optimizer().sameAs(b.optimizer()));
    assertArrayEquals(a.bestParams(), b.bestParams(), 0f);
    assertEquals(Double.doubleToLongBits(a.best()), Double.doubleToLongBits(b.best()));
    assertEquals(a.bestEpoch(), b.bestEpoch());
    assertEquals(a.sinceBest(), b.sinceBest());
    assertEquals(a.stoppedEarly(), b.stoppedEarly());
    assertEquals(a.epochSums(), b.epochSums());
    assertEquals(a.firstEpoch(), b.firstEpoch());
    assertEquals(a.lrScale(), b.lrScale());
    assertEquals(a.rollbacks(), b.rollbacks());
    assertEquals(a.history().size(), b.history().size());
    for (int i = 0; i < a.history().size(); i++) {
      EpochReport x = a.history().get(i);
      EpochReport y = b.history().get(i);
      assertEquals(Double.doubleToLongBits(x.trainLoss()), Double.doubleToLongBits(y.trainLoss()));
      assertEquals(x.validation(), y.validation());
      assertEquals(x.globalStep(), y.globalStep());
    }
  }

  @Test
  void write_thenNewest_givesTheSameStateAndIdentity() throws Exception {
    CheckpointStore s = store(3);
    TrainingState a = state(20, true);
    CheckpointStore.Saved saved = s.write(a, identity());
    assertTrue(saved.path().endsWith("ckpt-000000000020"), saved.path());
    assertEquals(8 + 4 * (50 + 100 + 50), Files.size(Path.of(saved.path().replace("file:", ""), "state.bin")));
    CheckpointStore.Loaded l = s.newest(w -> { throw new AssertionError(w); });
    assertSame(a, l.state());
    assertEquals(identity(), l.identity());
    assertNull(identity().refusal(l.identity()));

    TrainingState noBest = state(30, false);
    s.write(noBest, identity());
    assertSame(noBest, s.newest(w -> { throw new AssertionError(w); }).state());
  }

  /**
   * A checkpoint replaced at the same step by a JVM that dies at each point of the replacement:
   * the step keeps exactly one valid checkpoint, the old one until the new one is renamed in.
   */
  @ParameterizedTest(name = "JVM halted at {0}")
  @ValueSource(strings = {"checkpoint:before-rename", "checkpoint:old-set-aside", "checkpoint:after-rename"})
  void replacementKilledAtAnyPoint_leavesOneValidCheckpointOfTheStep(String point) throws Exception {
    CheckpointStore s = store(3);
    TrainingState old = state(20, true);
    s.write(old, identity());
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Dsparkprop.test.halt-at=" + point,
        "-cp", cp, CheckpointCrashMain.class.getName(), s.dir()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertEquals(137, p.waitFor(), "halted at " + point + ": " + output);
    CheckpointStore.Loaded l = s.newest(w -> { throw new AssertionError(w); });
    assertTrue(l.path().endsWith("ckpt-000000000020"), l.path());
    assertSame(point.equals("checkpoint:after-rename") ? state(20, false) : old, l.state());
    s.write(state(30, true), identity());
    try (var left = Files.list(dir.resolve("ckpt"))) { // the dead writer's hidden temporaries age out (after an hour)
      assertEquals(List.of("ckpt-000000000020", "ckpt-000000000030"),
          left.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList());
    }
    assertSame(state(30, true), s.newest(w -> { throw new AssertionError(w); }).state());
  }

  @Test
  void keep_prunesAllButTheNewest() {
    CheckpointStore s = store(2);
    for (long step : new long[] {5, 10, 15, 20}) s.write(state(step, false), identity());
    List<String> names = s.list().stream().map(p -> p.getName()).toList();
    assertEquals(List.of("ckpt-000000000015", "ckpt-000000000020"), names);
  }

  @Test
  void damagedNewest_fallsBackToThePreviousWithAWarningNamingTheFile() throws Exception {
    CheckpointStore s = store(3);
    s.write(state(10, true), identity());
    s.write(state(20, true), identity());
    Path newest = dir.resolve("ckpt/ckpt-000000000020/state.bin");
    try (RandomAccessFile f = new RandomAccessFile(newest.toFile(), "rw")) {
      f.seek(100);
      f.write(f.read() ^ 1); // one flipped bit
    }
    List<String> warnings = new ArrayList<>();
    CheckpointStore.Loaded l = s.newest(warnings::add);
    assertEquals(10, l.state().step());
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains("ckpt-000000000020") && warnings.get(0).contains("state.bin has SHA-256"), warnings.get(0));
  }

  @Test
  void truncatedOrIncomplete_isNeverUsed() throws Exception {
    CheckpointStore s = store(5);
    s.write(state(10, false), identity());
    s.write(state(20, false), identity());
    s.write(state(30, false), identity());
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve("ckpt/ckpt-000000000030/state.bin").toFile(), "rw")) {
      f.setLength(f.length() - 4);
    }
    Files.delete(dir.resolve("ckpt/ckpt-000000000020/checksums.sha256")); // as if the writer died before its manifest
    List<String> warnings = new ArrayList<>();
    assertEquals(10, s.newest(warnings::add).state().step());
    assertTrue(warnings.get(0).contains("truncated"), warnings.get(0));
    assertTrue(warnings.get(1).contains("no checksums.sha256"), warnings.get(1));
  }

  @Test
  void hostileSizes_areRefusedBeforeAllocating() throws Exception {
    CheckpointStore s = store(3);
    s.write(state(10, false), identity());
    Path meta = dir.resolve("ckpt/ckpt-000000000010/checkpoint.json");
    String json = Files.readString(meta).replace("\"params\" : 50", "\"params\" : 2000000000");
    Files.writeString(meta, json);
    String sum = io.sparkprop.driver.model.HadoopIo.sha256(Files.readAllBytes(meta));
    Path manifest = dir.resolve("ckpt/ckpt-000000000010/checksums.sha256");
    List<String> lines = new ArrayList<>(Files.readAllLines(manifest));
    lines.replaceAll(l -> l.endsWith("checkpoint.json") ? sum + "  checkpoint.json" : l);
    Files.write(manifest, lines);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CheckpointStore.read(new org.apache.hadoop.fs.Path(dir.resolve("ckpt/ckpt-000000000010").toString()), conf));
    assertTrue(e.getMessage().contains("truncated or damaged"), e.getMessage());
  }

  @Test
  void none_givesNull_andClearDeletesEverything() {
    CheckpointStore s = store(3);
    assertNull(s.newest(w -> { }));
    s.write(state(10, false), identity());
    assertEquals(1, s.clear());
    assertNull(s.newest(w -> { }));
    assertFalse(s.list().iterator().hasNext());
  }

  @Test
  void refusal_namesEachDifferingKeyAndTheData() {
    RunIdentity saved = identity();
    TreeMap<String, String> cfg = new TreeMap<>(saved.config());
    cfg.put("optimizer.learning-rate", "0.01");
    RunIdentity now = new RunIdentity(cfg, new DataFingerprint(1001, 4, 1, 5), 2, 50, 100);
    String why = now.refusal(saved);
    assertTrue(why.contains("optimizer.learning-rate was 0.001, now 0.01"), why);
    assertTrue(why.contains("1001 rows vs 1000"), why);
    assertFalse(now.configHash().equals(saved.configHash()));
    RunIdentity sameValues = new RunIdentity(saved.config(), new DataFingerprint(1000, 4, 1, 6), 4, 50, 100);
    assertTrue(sameValues.refusal(saved).contains("different values"), sameValues.refusal(saved));
  }
}
