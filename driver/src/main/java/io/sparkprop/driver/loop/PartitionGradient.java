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
    LossSum s = g.accumulate(blocks, (block, buf) -> ExecutorState.shardStep(spec).accumulate(p, block, plan, epoch, k, buf),
        ExecutorState.ranges(blocks.size()), false);
    float[] grad = g.sum();
    if (s.count() == 0) return StepResult.empty(System.nanoTime() - t0, fetched);
    if (slices > 0) {
      String where = ExecutorReduce.store(grad, run, globalStep, ctx.partitionId(), slices);
      ExecutorFaults.point(ExecutorFaults.STORED, globalStep);
      return StepResult.stored(where, s.loss(), s.weight(), s.count(), System.nanoTime() - t0, fetched);
    }
    return StepResult.encode(grad, s.loss(), s.weight(), s.count(), System.nanoTime() - t0, fetched);
  }
}
