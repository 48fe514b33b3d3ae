package io.sparkprop.driver;

import io.sparkprop.trainer.ShardStep;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.NetworkSpec;

/**
 * Per task-thread reuse of the engine's buffers on executors: Spark runs tasks on pooled threads,
 * so one {@link ShardStep} (workspace + member buffer) per thread serves every step of a run
 * without allocating. Rebuilt when a task arrives for another network or block size.
 */
final class ExecutorState {
  private static final class Slot {
    final NetworkSpec network;
    final int blockRows;
    final ShardStep step;

    Slot(TrainingSpec spec) {
      this.network = spec.network();
      this.blockRows = spec.blockRows();
      this.step = new ShardStep(spec);
    }
  }

  private static final ThreadLocal<Slot> SLOT = new ThreadLocal<>();

  private ExecutorState() {}

  static ShardStep shardStep(TrainingSpec spec) {
    Slot s = SLOT.get();
    if (s == null || s.blockRows != spec.blockRows() || !s.network.equals(spec.network())) {
      s = new Slot(spec);
      SLOT.set(s);
    }
    return s.step;
  }
}
