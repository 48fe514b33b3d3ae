package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.SparkTestContext;
import io.sparkprop.driver.TestSets;
import io.sparkprop.driver.checkpoint.CheckpointStore;
import io.sparkprop.driver.checkpoint.Checkpointer;
import io.sparkprop.driver.checkpoint.RunIdentity;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.LrSchedule;
import io.sparkprop.trainer.optim.Optimizer;
import java.nio.file.Path;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run interrupted after any checkpoint and resumed from the store ends with parameters and
 * history bitwise equal to the uninterrupted run: mid-epoch and epoch-end checkpoints, with
 * validation and early stopping on (the early-stopping state crosses the interruption).
 */
class ResumeTest {
  static final NetworkSpec NET = NetworkSpec.of(new int[] {12, 16, 3}, Activation.TANH, Head.SOFTMAX_CROSS_ENTROPY);
  static final TrainingSpec SPEC = new TrainingSpec(NET, Init.of(Init.Kind.XAVIER_NORMAL),
      Optimizer.adam(0.02).withSchedule(LrSchedule.cosine(80, 0.1).withWarmup(5)), 64, false, 5, 32);
  static PackedData train;
  static PackedData val;
  @TempDir Path dir;

  /** Thrown by the hook to stop a run right after a checkpoint, as a killed driver would. */
  static final class Interrupted extends RuntimeException {
    Interrupted() {
      super("interrupted");
    }
  }

  @BeforeAll
  static void data() {
    JavaSparkContext sc = SparkTestContext.get();
    train = DistributedTrainer.pack(LocalExamples.distribute(sc, TestSets.blobs(600, 12, 3, false, 4), 2, "train"), SPEC);
    // other noise: accuracy moves up and down, so patience counts real non-improvements
    val = DistributedTrainer.pack(LocalExamples.distribute(sc, TestSets.blobs(200, 12, 3, false, 5), 2, "val"), SPEC);
  }

  @AfterAll
  static void release() {
    train.unpersist();
    val.unpersist();
  }

  static RunIdentity identity() {
    return new RunIdentity(new TreeMap<>(), train.fingerprint(), train.partitions(), NET.paramCount(), 2 * NET.paramCount());
  }

  static final FitOptions OPTIONS = new FitOptions(8, null, 1, 2);

  FitResult uninterrupted() {
    DistributedTrainer t = new DistributedTrainer(SparkTestContext.get(), SPEC, train, "whole");
    return t.fit(new FitOptions(8, val, 1, 2), null, null, null, null);
  }

  @ParameterizedTest(name = "interrupted after checkpoint {0}")
  @ValueSource(ints = {1, 2, 5})
  void interruptedAndResumed_endsBitwiseEqualToTheUninterruptedRun(int stopAfter) {
    JavaSparkContext sc = SparkTestContext.get();
    FitResult whole = uninterrupted();
    CheckpointStore store = new CheckpointStore(dir.resolve("c" + stopAfter).toString(), sc.hadoopConfiguration(), 3);
    DistributedTrainer first = new DistributedTrainer(sc, SPEC, train, "first");
    TrainingState start = TrainingState.start(first.params(), first.state());
    Checkpointer inner = new Checkpointer(store, identity(), 4, 0, start, null); // every 4 steps: mid-epoch too
    int[] saves = {0};
    CheckpointHook stopping = new CheckpointHook() {
      @Override
      public boolean due(long step, boolean epochEnd) {
        return inner.due(step, epochEnd);
      }

      @Override
      public void save(TrainingState s) {
        inner.save(s);
        if (++saves[0] == stopAfter) throw new Interrupted();
      }
    };
    assertThrows(Interrupted.class, () -> first.fit(new FitOptions(8, val, 1, 2), null, null, start, stopping));
    inner.close(); // the run's end: the write in flight completes

    CheckpointStore.Loaded c = store.newest(w -> { throw new AssertionError(w); });
    DistributedTrainer second = new DistributedTrainer(sc, SPEC, train, "second", c.state().params(), c.state().optimizer());
    FitResult resumed;
    try (Checkpointer again = new Checkpointer(store, identity(), 4, 0, c.state(), c.path())) {
      resumed = second.fit(new FitOptions(8, val, 1, 2), null, null, c.state(), again);
    } // closed before the temporary directory is removed: no write may still be in flight
    assertArrayEquals(whole.params(), resumed.params(), 0f, "parameters after resuming");
    assertEquals(whole.bestEpoch(), resumed.bestEpoch());
    assertEquals(whole.stoppedEarly(), resumed.stoppedEarly());
    assertEquals(whole.history().size(), resumed.history().size());
    for (int i = 0; i < whole.history().size(); i++) {
      assertEquals(whole.history().get(i).trainLoss(), resumed.history().get(i).trainLoss(), 0, "train loss of epoch " + i);
      assertEquals(whole.history().get(i).validation(), resumed.history().get(i).validation(), "validation of epoch " + i);
    }
  }

  @Test
  void divergence_stopsWithinTheStep_andNamesIt() {
    // ReLU activations grow without bound: one step at this rate overflows float32
    TrainingSpec wild = new TrainingSpec(NetworkSpec.of(new int[] {12, 16, 3}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY),
        Init.of(Init.Kind.HE_NORMAL), Optimizer.sgd(1e30), 64, false, 5, 32);
    DistributedTrainer t = new DistributedTrainer(SparkTestContext.get(), wild, train, "wild");
    DivergenceException e = assertThrows(DivergenceException.class, () -> t.fit(OPTIONS, null));
    assertTrue(e.getMessage().startsWith("training diverged at global step " + e.globalStep() + ": "), e.getMessage());
    assertTrue(e.globalStep() <= 2, "caught within the step where it appears: " + e.getMessage());
  }

  @Test
  void firstNonFinite_findsNaNAndInfinity() {
    assertEquals(-1, DistributedTrainer.firstNonFinite(new float[] {0f, -0f, 1e38f, -3f}));
    assertEquals(2, DistributedTrainer.firstNonFinite(new float[] {0f, 1f, Float.NaN, 2f}));
    assertEquals(0, DistributedTrainer.firstNonFinite(new float[] {Float.NEGATIVE_INFINITY}));
  }

  /**
   * The check (a BLAS dot product, then a scan only when it is not finite) against a plain loop
   * over {@code Float.isFinite}, on random slices, with every kind of non-finite value (NaNs with
   * other payloads and signs) among finite extremes (-0, subnormals, +-MAX_VALUE and 1e38, whose
   * squares overflow: a finite slice the dot product cannot clear); enough rounds for C2 to compile
   * the check, so the compiled code is what is checked last.
   */
  @Test
  void firstNonFinite_isThatOfAPlainLoop_onAnySlice() {
    float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc00001),
        Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0x7f800001)};
    float[] edge = {-0f, Float.MIN_VALUE, -Float.MIN_NORMAL / 3, Float.MAX_VALUE, -Float.MAX_VALUE, 1e38f};
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    for (int round = 0; round < 20_000; round++) {
      float[] a = new float[1 + r.nextInt(3 * 4096 + 100)];
      for (int i = 0; i < a.length; i++) a[i] = r.nextInt(8) == 0 ? edge[r.nextInt(edge.length)] : (float) r.nextGaussian();
      for (int k = r.nextInt(3); k > 0; k--) a[r.nextInt(a.length)] = bad[r.nextInt(bad.length)];
      int from = r.nextInt(a.length);
      int to = from + r.nextInt(a.length - from + 1);
      int expected = -1;
      for (int i = from; i < to && expected < 0; i++) if (!Float.isFinite(a[i])) expected = i;
      assertEquals(expected, DistributedTrainer.firstNonFinite(a, from, to),
          "round " + round + ", slice [" + from + ", " + to + ") of " + a.length);
    }
  }
}
