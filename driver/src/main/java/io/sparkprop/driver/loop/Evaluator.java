package io.sparkprop.driver.loop;

import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.failure.ExecutorFaults;
import io.sparkprop.trainer.ShardStep;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.RowSource;
import io.sparkprop.trainer.nn.EvalSums;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.collection.Iterator;
import scala.reflect.ClassTag$;
import scala.reflect.ClassTag;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Distributed evaluation: one job over a packed data set under given parameters, the partitions'
 * sums added in partition order (so the result does not depend on which task finished first),
 * with the confusion matrix of a softmax head counted in the same pass.
 */
public final class Evaluator {
  private static final ClassTag<double[]> EVAL_TAG = ClassTag$.MODULE$.apply(double[].class);

  private Evaluator() {}

  /** Evaluation sums of {@code params} over {@code eval}, one job, added in partition order. */
  public static EvalSums evaluate(JavaSparkContext sc, TrainingSpec spec, float[] params, PackedData eval, String runName) {
    return evaluate(sc, spec, params, eval, runName, false).sums();
  }

  /**
   * What {@link #evaluate(JavaSparkContext, TrainingSpec, float[], PackedData, String)} returns and,
   * when asked for a softmax head, the confusion matrix counted in the same pass (rows: true class,
   * columns: predicted; null otherwise).
   */
  public record Evaluation(EvalSums sums, long[][] confusion) {}

  /** One pass over {@code eval}: its sums and, if {@code confusion} and the head is softmax, its confusion matrix. */
  public static Evaluation evaluate(JavaSparkContext sc, TrainingSpec spec, float[] params, PackedData eval, String runName,
      boolean confusion) {
    spec.network().checkParams(params, "parameters");
    boolean counts = confusion && spec.network().head() == io.sparkprop.trainer.nn.Head.SOFTMAX_CROSS_ENTROPY;
    int k = spec.network().outputSize();
    sc.setJobDescription(runName + ": evaluate " + eval.rows() + " examples");
    Broadcast<byte[]> bc = sc.sc().broadcast(ExecutorState.encodeParams(params, null), DistributedTrainer.PARAMS_TAG);
    double[][] parts = new double[eval.partitions()][];
    try {
      sc.sc().runJob(eval.blocks(), new PartitionEval(bc, spec, counts), DistributedTrainer.allPartitions(eval), new AbstractFunction2<Object, double[], BoxedUnit>() {
        @Override
        public BoxedUnit apply(Object p, double[] s) {
          synchronized (parts) {
            parts[(Integer) p] = s;
          }
          return BoxedUnit.UNIT;
        }
      }, EVAL_TAG);
    } finally {
      bc.destroy();
    }
    return combine(parts, k, counts);
  }

  /**
   * The partitions' results ({@link #evaluateBlocks}, indexed by partition) added in partition
   * order, with the k x k confusion counts when {@code counts}.
   */
  static Evaluation combine(double[][] parts, int k, boolean counts) {
    EvalSums total = EvalSums.ZERO;
    long[][] matrix = counts ? new long[k][k] : null;
    for (double[] s : parts) {
      total = total.plus(EvalSums.fromArray(java.util.Arrays.copyOf(s, EvalSums.LENGTH)));
      for (int i = 0; counts && i < k * k; i++) matrix[i / k][i % k] += (long) s[EvalSums.LENGTH + i];
    }
    return new Evaluation(total, matrix);
  }

  /** The per-partition evaluation sums (as an array: Spark's Kryo cannot serialize records); runs on executors. */
  private static final class PartitionEval extends AbstractFunction2<TaskContext, Iterator<RowSource>, double[]>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Broadcast<byte[]> params;
    private final TrainingSpec spec;
    private final boolean confusion;

    PartitionEval(Broadcast<byte[]> params, TrainingSpec spec, boolean confusion) {
      this.params = params;
      this.spec = spec;
      this.confusion = confusion;
    }

    /** The sums ({@link EvalSums#toArray}), then with {@code confusion} the k x k counts (label-major) as doubles. */
    @Override
    public double[] apply(TaskContext ctx, Iterator<RowSource> it) {
      ExecutorFaults.point(ExecutorFaults.EVALUATE);
      List<RowSource> blocks = new ArrayList<>(1);
      while (it.hasNext()) blocks.add(it.next());
      return evaluateBlocks(spec, ExecutorState.params(params), blocks, confusion);
    }
  }

  /**
   * A task's evaluation of its blocks under parameters {@code p}: the sums ({@link EvalSums#toArray}), then with
   * {@code confusion} the k x k counts (label-major) as doubles. The blocks run on the task's threads, as in
   * training; their sums are added in block order.
   */
  static double[] evaluateBlocks(TrainingSpec spec, float[] p, List<RowSource> blocks, boolean confusion) {
    int kk = confusion ? spec.network().outputSize() * spec.network().outputSize() : 0;
    long[][] counts = new long[blocks.size()][];
    List<EvalSums> each = ExecutorState.eachOnItsThread(blocks.size(), j -> {
      RowSource shard = blocks.get(j);
      ShardStep step = ExecutorState.shardStep(spec);
      counts[j] = confusion ? new long[kk] : null;
      return shard.rows() > 0 ? step.network().evaluate(p, shard, step.workspace(), counts[j]) : EvalSums.ZERO;
    });
    EvalSums total = EvalSums.ZERO;
    for (EvalSums e : each) total = total.plus(e);
    double[] out = java.util.Arrays.copyOf(total.toArray(), EvalSums.LENGTH + kk);
    for (long[] c : counts) for (int i = 0; i < kk; i++) out[EvalSums.LENGTH + i] += c[i];
    return out;
  }
}
