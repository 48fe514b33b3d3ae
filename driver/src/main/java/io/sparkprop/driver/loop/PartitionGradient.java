package io.sparkprop.driver.loop;

import io.sparkprop.driver.failure.ExecutorFaults;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.batch.BatchPlan;
import io.sparkprop.trainer.data.RowSource;
import io.sparkprop.trainer.nn.LossSum;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;

/** The per-partition gradient of one step; runs on executors. */
final class PartitionGradient extends AbstractFunction2<TaskContext, Iterator<RowSource>, byte[]>
    implements Serializable {
  private static final long serialVersionUID = 1L;
  private final StepWeights params;
  private final TrainingSpec spec;
  private final BatchPlan plan;
  private final int epoch;
  private final int k;
  private final int slices; // 0: ship the gradient; else store it in this many slices for ExecutorReduce
  private final int run;
  private final long globalStep;

  PartitionGradient(StepWeights params, TrainingSpec spec, BatchPlan plan, int epoch, int k, int slices, int run, long step) {
    this.params = params;
    this.spec = spec;
    this.plan = plan;
    this.epoch = epoch;
    this.k = k;
    this.slices = slices;
    this.run = run;
    this.globalStep = step;
  }

  @Override
  public byte[] apply(TaskContext ctx, Iterator<RowSource> it) {
    EngineWarmup.stop(); // training has started: the cores are its
    ExecutorFaults.point(ExecutorFaults.GRADIENT, globalStep);
    long t0 = System.nanoTime();
    List<RowSource> blocks = new ArrayList<>(1); // one, or a group: one thread each, added in block order
    while (it.hasNext()) blocks.add(it.next());
    float[] p = params.get();
    long fetched = System.nanoTime() - t0;
    ExecutorState.Group g = ExecutorState.group(spec);
    LossSum s = accumulate(spec, plan, g, blocks, p, epoch, k);
    if (slices > 0 && s.count() > 0) {
      String where = ExecutorReduce.store(g.sum(), run, globalStep, ctx.partitionId(), slices);
      ExecutorFaults.point(ExecutorFaults.STORED, globalStep);
      return StepResult.stored(where, s.loss(), s.weight(), s.count(), System.nanoTime() - t0, fetched);
    }
    return shipped(g, s, System.nanoTime() - t0, fetched, null);
  }

  /**
   * One partition's gradient for step {@code k} of {@code epoch} under weights {@code p}: its
   * blocks (one thread each) summed on {@code g} in block order. A job's task and a streamed
   * task both compute a partition's share of a step here, so their results are the same bits.
   */
  static LossSum accumulate(TrainingSpec spec, BatchPlan plan, ExecutorState.Group g, List<RowSource> blocks, float[] p,
      int epoch, int k) {
    return g.accumulate(blocks, (block, buf) -> ExecutorState.shardStep(spec).accumulate(p, block, plan, epoch, k, buf),
        ExecutorState.ranges(blocks.size()), false);
  }

  /**
   * The result that carries {@link #accumulate}'s sum {@code s} (on {@code g}) to the driver;
   * empty when the partition had no rows in the step. Written into {@code into} when it has the
   * size (a buffer reused across steps), else into a new array.
   */
  static byte[] shipped(ExecutorState.Group g, LossSum s, long computeNanos, long paramsNanos, byte[] into) {
    if (s.count() == 0) return StepResult.empty(computeNanos, paramsNanos);
    return StepResult.encode(g.sum(), s.loss(), s.weight(), s.count(), computeNanos, paramsNanos, into);
  }
}
