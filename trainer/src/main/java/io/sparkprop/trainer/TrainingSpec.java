package io.sparkprop.trainer;

import io.sparkprop.trainer.batch.BatchPlan;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.Optimizer;
import java.io.Serializable;
import java.util.Objects;

/**
 * Everything that defines a training run's arithmetic, shared by the single-process
 * {@link LocalTrainer} and the Spark loop so that both compute the same thing.
 *
 * @param network the architecture
 * @param init weight initialisation (used when no initial parameters are given)
 * @param optimizer update rule, learning rate and schedule
 * @param batchSize global minibatch size B (across all partitions)
 * @param dropLast skip each epoch's final batch when it is shorter than B
 * @param seed seeds the initial weights and every epoch's shuffle
 * @param blockRows rows per forward/backward block (GEMM width); results depend on it only
 *     through float32 summation order
 */
public record TrainingSpec(NetworkSpec network, Init init, Optimizer optimizer, int batchSize, boolean dropLast,
    long seed, int blockRows) implements Serializable {

  /** The default block: 256 rows is past the point where sgemm reaches its full rate here. */
  public static final int DEFAULT_BLOCK_ROWS = 256;

  public TrainingSpec {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(init, "init");
    Objects.requireNonNull(optimizer, "optimizer");
    if (optimizer.kind() == io.sparkprop.trainer.optim.Optimizer.Kind.LAMB && optimizer.segments() == null) {
      optimizer = optimizer.withSegments(tensorBounds(network)); // LAMB's trust ratios are per layer's weights and biases
    }
    if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    if (blockRows < 1) throw new IllegalArgumentException("block rows must be >= 1, got " + blockRows);
  }

  /** Each layer's weights and each layer's biases as tensors, in the flat layout's order. */
  public static int[] tensorBounds(NetworkSpec network) {
    int[] b = new int[2 * network.layers() + 1];
    for (int l = 0; l < network.layers(); l++) {
      b[2 * l] = network.weightOffset(l);
      b[2 * l + 1] = network.biasOffset(l);
    }
    b[b.length - 1] = network.paramCount();
    return b;
  }

  public static TrainingSpec of(NetworkSpec network, Init init, Optimizer optimizer, int batchSize, long seed) {
    return new TrainingSpec(network, init, optimizer, batchSize, false, seed, DEFAULT_BLOCK_ROWS);
  }

  public TrainingSpec withOptimizer(Optimizer o) {
    return new TrainingSpec(network, init, o, batchSize, dropLast, seed, blockRows);
  }

  public TrainingSpec withBlockRows(int rows) {
    return new TrainingSpec(network, init, optimizer, batchSize, dropLast, seed, rows);
  }

  /** The batch definition for a data set of n examples. */
  public BatchPlan plan(long n) {
    return new BatchPlan(n, batchSize, dropLast, seed);
  }

  /** Fresh initial parameters. */
  public float[] initialParams() {
    return init.initialise(network, seed);
  }
}
