package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.driver.data.PackedData;
import java.util.ArrayList;
import java.util.List;

/**
 * A fit that records everything it reports (every step's sums, every epoch's report, every
 * checkpoint's state), so that two ways of running the same steps can be compared bit for bit.
 */
record RecordedFit(float[] params, DistributedTrainer trainer, List<String> steps, List<String> epochs, List<String> saves) {

  /** Fits {@code t} for {@code epochs} against {@code validation}, checkpointing every {@code checkpointEvery} steps (0: never). */
  static RecordedFit of(DistributedTrainer t, int epochs, PackedData validation, long checkpointEvery) {
    List<String> steps = new ArrayList<>();
    List<String> epochsSeen = new ArrayList<>();
    List<String> saves = new ArrayList<>();
    CheckpointHook hook = checkpointEvery <= 0 ? null : new CheckpointHook() {
      long saved;

      @Override
      public boolean due(long step, boolean epochEnd) {
        return step - saved >= checkpointEvery;
      }

      @Override
      public void save(TrainingState s) {
        saved = s.step();
        saves.add(s.step() + " " + java.util.Arrays.hashCode(s.params()) + " " + java.util.Arrays.hashCode(s.optimizer().snapshot())
            + " " + s.epochSums());
      }
    };
    FitResult r = t.fit(new FitOptions(epochs, validation, 1, 0), e -> epochsSeen.add(e.epoch() + " " + e.steps() + " "
        + e.globalStep() + " " + e.trainLoss() + " " + e.validation()), (step, epoch, sums, stats) -> {
          assertTrue(stats.wallNanos() >= stats.maxTaskComputeNanos() && stats.maxTaskComputeNanos() >= 0, stats.toString());
          steps.add(step + " " + epoch + " " + sums);
        }, null, hook);
    return new RecordedFit(r.params(), t, steps, epochsSeen, saves);
  }

  /** Asserts that this fit reported what {@code expected} did, bit for bit. */
  void assertSameAs(RecordedFit expected, String what) {
    assertArrayEquals(expected.params(), params(), 0f, what);
    assertTrue(expected.trainer().state().sameAs(trainer().state()), "optimizer state, " + what);
    assertEquals(expected.steps(), steps(), "per-step losses, " + what);
    assertEquals(expected.epochs(), epochs(), "epoch reports, " + what);
    assertEquals(expected.saves(), saves(), "checkpoints, " + what);
  }
}
