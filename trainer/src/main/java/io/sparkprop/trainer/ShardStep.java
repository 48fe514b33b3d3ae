package io.sparkprop.trainer;

import io.sparkprop.trainer.batch.BatchPlan;
import io.sparkprop.trainer.data.RowSource;
import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.Workspace;

/**
 * One shard's part of one training step: find the shard's members of global batch k and add
 * their summed gradient to a buffer. This is the code a Spark task runs on its partition (and the
 * local trainer runs on the whole data set as one shard).
 *
 * <p>Owns a {@link Workspace} and a member-index buffer, both reused across steps; use one
 * instance per thread.
 */
public final class ShardStep {
  private final Network network;
  private final Workspace workspace;
  private int[] members = new int[0];

  public ShardStep(TrainingSpec spec) {
    this.network = new Network(spec.network());
    this.workspace = new Workspace(spec.network(), spec.blockRows());
  }

  public Network network() {
    return network;
  }

  public Workspace workspace() {
    return workspace;
  }

  /**
   * Adds to {@code grad} the summed gradient of the members of batch k of {@code epoch} held by
   * {@code shard} (ids [firstId, firstId + rows)), processed in batch-position order.
   */
  public LossSum accumulate(float[] params, RowSource shard, BatchPlan plan, int epoch, int k, float[] grad) {
    int cap = Math.min(plan.batchSize(), shard.rows());
    if (members.length < cap) members = new int[cap];
    int c = plan.members(epoch, k, shard.firstId(), shard.firstId() + shard.rows(), members);
    return network.accumulateGradient(params, shard, members, c, workspace, grad);
  }
}
