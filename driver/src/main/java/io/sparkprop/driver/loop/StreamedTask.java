package io.sparkprop.driver.loop;

import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.failure.ExecutorFaults;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.batch.BatchPlan;
import io.sparkprop.trainer.data.RowSource;
import io.sparkprop.trainer.nn.LossSum;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import scala.collection.Iterator;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * A task of a {@link StepStream}, on an executor: takes its partition's blocks (and, when the
 * stream holds the validation set, that set's partition of the same index) once, connects to the
 * driver's {@link StepChannel}, and then for every step the driver sends computes the partition's
 * gradient exactly as {@link PartitionGradient} does for a job of one step (the same blocks, the
 * same group and thread split, the same {@link StepResult}); for an evaluation, the sums of
 * {@link Evaluator#evaluateBlocks} as little-endian doubles; until the driver sends the end.
 * Returns an empty array: the results went over the channel.
 */
final class StreamedTask extends AbstractFunction1<Iterator<Object>, byte[]> implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int CONNECT_MILLIS = 30_000;

  private final StepChannel.Address driver;
  private final TrainingSpec spec;
  private final BatchPlan plan;

  StreamedTask(StepChannel.Address driver, TrainingSpec spec, BatchPlan plan) {
    this.driver = driver;
    this.spec = spec;
    this.plan = plan;
  }

  /** A task's input: its training blocks and its validation blocks (empty when the stream has none). */
  record Inputs(List<RowSource> train, List<RowSource> validation) implements Serializable {}

  /** The stream's input: the training blocks, zipped partition by partition with {@code validation}'s when it is not null. */
  @SuppressWarnings("unchecked")
  static RDD<Object> input(PackedData data, PackedData validation) {
    if (validation == null) return (RDD<Object>) (RDD<?>) data.blocks();
    return new Zipped(data.blocks(), validation.blocks());
  }

  /**
   * Training and validation blocks of the same partition index, as one {@link Inputs}. Its tasks
   * prefer where the training block is cached, which they read every step; the validation block,
   * read once an epoch, may come from another executor. (Spark's {@code zipPartitions} would
   * prefer the union of both places, and a task could start away from its training block.)
   */
  static final class Zipped extends RDD<Object> {
    private static final long serialVersionUID = 1L;
    private final RDD<RowSource> train;
    private final RDD<RowSource> validation;

    Zipped(RDD<RowSource> train, RDD<RowSource> validation) {
      super(train.context(), deps(train, validation), ClassTag$.MODULE$.apply(Object.class));
      this.train = train;
      this.validation = validation;
    }

    @SuppressWarnings("unchecked")
    private static scala.collection.immutable.Seq<org.apache.spark.Dependency<?>> deps(RDD<RowSource> a, RDD<RowSource> b) {
      List<org.apache.spark.Dependency<?>> d = List.of(new org.apache.spark.OneToOneDependency<>(a),
          new org.apache.spark.OneToOneDependency<>(b));
      return scala.jdk.javaapi.CollectionConverters.asScala(d).toList();
    }

    @Override
    public Iterator<Object> compute(org.apache.spark.Partition split, TaskContext context) {
      Pair p = (Pair) split;
      List<RowSource> t = new ArrayList<>(1);
      for (Iterator<RowSource> it = train.iterator(p.train, context); it.hasNext();) t.add(it.next());
      List<RowSource> v = new ArrayList<>(1);
      for (Iterator<RowSource> it = validation.iterator(p.validation, context); it.hasNext();) v.add(it.next());
      return scala.collection.Iterator$.MODULE$.single(new Inputs(t, v));
    }

    @Override
    public org.apache.spark.Partition[] getPartitions() {
      org.apache.spark.Partition[] a = train.partitions();
      org.apache.spark.Partition[] b = validation.partitions();
      if (a.length != b.length) throw new IllegalArgumentException(a.length + " training and " + b.length + " validation partitions");
      org.apache.spark.Partition[] out = new org.apache.spark.Partition[a.length];
      for (int i = 0; i < a.length; i++) out[i] = new Pair(i, a[i], b[i]);
      return out;
    }

    @Override
    public scala.collection.immutable.Seq<String> getPreferredLocations(org.apache.spark.Partition split) {
      return train.preferredLocations(((Pair) split).train);
    }
  }

  private record Pair(int index, org.apache.spark.Partition train, org.apache.spark.Partition validation)
      implements org.apache.spark.Partition {
    @Override
    public int index() {
      return index;
    }
  }

  @Override
  public byte[] apply(Iterator<Object> it) {
    EngineWarmup.stop(); // training has started: the cores are its
    TaskContext ctx = TaskContext.get();
    List<RowSource> blocks = new ArrayList<>(1);
    List<RowSource> validation = List.of();
    while (it.hasNext()) {
      Object o = it.next();
      if (o instanceof Inputs in) {
        blocks.addAll(in.train());
        validation = in.validation();
      } else {
        blocks.add((RowSource) o);
      }
    }
    BooleanSupplier goOn = () -> ctx == null || !ctx.isInterrupted();
    int spe = plan.stepsPerEpoch();
    byte[] scratch = new byte[8];
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(driver.host(), driver.port()), CONNECT_MILLIS);
      s.setSoTimeout(StepChannel.POLL_MILLIS);
      InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 1 << 16);
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
      out.writeLong(driver.tokenHi());
      out.writeLong(driver.tokenLo());
      out.writeLong(driver.stream());
      out.writeInt(ctx == null ? 0 : ctx.partitionId());
      out.flush();
      byte[] bytes = new byte[0];
      byte[] answer = new byte[0];
      float[] p = new float[spec.network().paramCount()];
      ExecutorState.Group g = ExecutorState.group(spec);
      io.sparkprop.trainer.optim.Ranges ranges = ExecutorState.ranges(blocks.size());
      while (true) {
        long t = StepChannel.readLong(in, scratch, goOn);
        if (t == StepChannel.END) return new byte[0];
        if (ctx != null) ctx.killTaskIfInterrupted(); // cancelled while the driver still sends
        long t0 = System.nanoTime();
        int n = StepChannel.readInt(in, scratch, goOn);
        if (n != 4 * p.length) throw new IllegalStateException("step " + t + " sent " + n + " weight bytes, expected " + 4 * p.length);
        if (bytes.length != n) bytes = new byte[n];
        StepChannel.readFully(in, bytes, 0, n, goOn);
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(p);
        long fetched = System.nanoTime() - t0;
        int len;
        if (t == StepChannel.EVALUATE) {
          ExecutorFaults.point(ExecutorFaults.EVALUATE);
          double[] sums = Evaluator.evaluateBlocks(spec, p, validation, false);
          len = 8 * sums.length;
          if (answer.length < len) answer = new byte[len];
          java.nio.ByteBuffer.wrap(answer).order(java.nio.ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(sums);
        } else {
          ExecutorFaults.point(ExecutorFaults.GRADIENT, t);
          int epoch = Math.toIntExact(t / spe);
          int k = (int) (t % spe);
          LossSum sum = g.accumulate(blocks, (block, buf) -> ExecutorState.shardStep(spec).accumulate(p, block, plan, epoch, k, buf),
              ranges, false);
          long nanos = System.nanoTime() - t0;
          answer = sum.count() == 0 ? StepResult.empty(nanos, fetched)
              : StepResult.encode(g.sum(), sum.loss(), sum.weight(), sum.count(), nanos, fetched, answer);
          len = answer.length;
        }
        out.writeInt(len);
        out.write(answer, 0, len);
        out.flush();
      }
    } catch (IOException e) {
      if (ctx != null && ctx.isInterrupted()) throw new org.apache.spark.TaskKilledException("cancelled by the driver");
      throw new UncheckedIOException("streamed steps: lost the driver at " + driver.host() + ":" + driver.port(), e);
    }
  }
}
