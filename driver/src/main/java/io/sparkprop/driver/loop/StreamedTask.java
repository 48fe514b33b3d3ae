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
 * A task of a {@link StepStream}, on an executor: takes its group's partitions' blocks (and, when
 * the stream holds the validation set, that set's partitions of the same indices) once, connects
 * to the driver's {@link StepChannel}, and then for every step the driver sends computes each
 * partition's gradient with {@link PartitionGradient}'s code for a job of one step (the same
 * blocks, the same thread split, the same {@link StepResult}), and sends them in partition order;
 * for an evaluation, each partition's sums of {@link Evaluator#evaluateBlocks} as little-endian
 * doubles; until the driver sends the end.
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

  /** One partition of a task: its index, its training blocks and its validation blocks (empty when the stream has none). */
  record Inputs(int partition, List<RowSource> train, List<RowSource> validation) implements Serializable {}

  /**
   * The stream's input: one task per group of {@code groups}, each yielding an {@link Inputs} per
   * partition of its group, the validation set's partition of the same index zipped in when
   * {@code validation} is not null.
   */
  static RDD<Object> input(PackedData data, PackedData validation, StreamGroups groups) {
    return new Grouped(data.blocks(), validation == null ? null : validation.blocks(), groups);
  }

  /**
   * Training blocks (and validation blocks of the same partition index) in the tasks of a
   * {@link StreamGroups}. Its tasks prefer their group's location, where the training blocks are
   * cached, which they read every step; the validation blocks, read once an epoch, may come from
   * another executor. (Spark's {@code zipPartitions} would prefer the union of both places, and
   * its {@code coalesce} groups by host, where a host runs several executors.)
   */
  static final class Grouped extends RDD<Object> {
    private static final long serialVersionUID = 1L;
    private final RDD<RowSource> train;
    private final RDD<RowSource> validation; // or null
    private final StreamGroups groups;

    Grouped(RDD<RowSource> train, RDD<RowSource> validation, StreamGroups groups) {
      super(train.context(), deps(train, validation, groups), ClassTag$.MODULE$.apply(Object.class));
      if (validation != null && validation.partitions().length != train.partitions().length) {
        throw new IllegalArgumentException(train.partitions().length + " training and " + validation.partitions().length
            + " validation partitions");
      }
      this.train = train;
      this.validation = validation;
      this.groups = groups;
    }

    private static scala.collection.immutable.Seq<org.apache.spark.Dependency<?>> deps(RDD<RowSource> a, RDD<RowSource> b,
        StreamGroups groups) {
      List<org.apache.spark.Dependency<?>> d = new ArrayList<>(2);
      d.add(new Members(a, groups));
      if (b != null) d.add(new Members(b, groups));
      return scala.jdk.javaapi.CollectionConverters.asScala(d).toList();
    }

    @Override
    public Iterator<Object> compute(org.apache.spark.Partition split, TaskContext context) {
      Group g = (Group) split;
      List<Object> out = new ArrayList<>(g.train.length);
      for (int j = 0; j < g.train.length; j++) {
        List<RowSource> v = validation == null ? List.of() : blocks(validation, g.validation[j], context);
        out.add(new Inputs(g.train[j].index(), blocks(train, g.train[j], context), v));
      }
      return scala.jdk.javaapi.CollectionConverters.asScala(out.iterator());
    }

    private static List<RowSource> blocks(RDD<RowSource> rdd, org.apache.spark.Partition p, TaskContext context) {
      List<RowSource> b = new ArrayList<>(1);
      for (Iterator<RowSource> it = rdd.iterator(p, context); it.hasNext();) b.add(it.next());
      return b;
    }

    @Override
    public org.apache.spark.Partition[] getPartitions() {
      // the parents' partitions travel in the task's: an RDD's partitions are not computed on executors
      org.apache.spark.Partition[] t = train.partitions();
      org.apache.spark.Partition[] v = validation == null ? null : validation.partitions();
      org.apache.spark.Partition[] out = new org.apache.spark.Partition[groups.size()];
      for (int i = 0; i < out.length; i++) {
        int[] m = groups.members()[i];
        org.apache.spark.Partition[] gt = new org.apache.spark.Partition[m.length];
        org.apache.spark.Partition[] gv = v == null ? null : new org.apache.spark.Partition[m.length];
        for (int j = 0; j < m.length; j++) {
          gt[j] = t[m[j]];
          if (v != null) gv[j] = v[m[j]];
        }
        out[i] = new Group(i, gt, gv);
      }
      return out;
    }

    @Override
    public scala.collection.immutable.Seq<String> getPreferredLocations(org.apache.spark.Partition split) {
      String at = groups.locations()[split.index()];
      return scala.jdk.javaapi.CollectionConverters.asScala(at == null ? List.<String>of() : List.of(at)).toList();
    }
  }

  /** A group's dependence on its partitions of the training (or validation) blocks. */
  private static final class Members extends org.apache.spark.NarrowDependency<RowSource> {
    private static final long serialVersionUID = 1L;
    private final StreamGroups groups;

    Members(RDD<RowSource> rdd, StreamGroups groups) {
      super(rdd);
      this.groups = groups;
    }

    @Override
    public scala.collection.immutable.Seq<Object> getParents(int group) {
      List<Object> p = new ArrayList<>();
      for (int i : groups.members()[group]) p.add(i);
      return scala.jdk.javaapi.CollectionConverters.asScala(p).toList();
    }
  }

  /** A task's partitions of the training blocks and, when zipped, of the validation blocks (else null). */
  private record Group(int index, org.apache.spark.Partition[] train, org.apache.spark.Partition[] validation)
      implements org.apache.spark.Partition {}

  /** Warm-up steps of a stream's task on its own rows, before it joins the stream. */
  static final int WARM_STEPS = 3;
  private static final long WARM_STOP_NANOS = 250_000_000L;

  /**
   * Runs the first step's gradients of the task's partitions {@link #WARM_STEPS} times under the
   * initial weights, results discarded: a fresh executor's first real step (the batch's rows
   * through BLAS and the JIT's code at their real sizes) costs 10-20 steps, which the stream's
   * start then pays instead of its first epoch. The synthetic warm-up during the load
   * ({@link EngineWarmup}) runs the code on a few rows only. A step longer than
   * {@link #WARM_STOP_NANOS} ends it: there the step's compute, not its start, is the cost.
   */
  private void warm(List<Inputs> parts) {
    if (spec.network().paramCount() > EngineWarmup.MAX_PARAMS) return;
    float[] p = spec.initialParams();
    ExecutorState.Group g = ExecutorState.group(spec);
    for (int i = 0; i < WARM_STEPS; i++) {
      long t0 = System.nanoTime();
      for (Inputs in : parts) PartitionGradient.accumulate(spec, plan, g, in.train(), p, 0, 0);
      if (System.nanoTime() - t0 > WARM_STOP_NANOS) return;
    }
  }

  @Override
  public byte[] apply(Iterator<Object> it) {
    EngineWarmup.stop(); // training has started: the cores are its
    TaskContext ctx = TaskContext.get();
    List<Inputs> parts = new ArrayList<>(1);
    while (it.hasNext()) parts.add((Inputs) it.next());
    BooleanSupplier goOn = () -> ctx == null || !ctx.isInterrupted();
    int spe = plan.stepsPerEpoch();
    warm(parts);
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
      long attempt = ctx == null ? 0 : ctx.taskAttemptId();
      out.writeLong(attempt);
      StepCipher up = driver.up(attempt);
      if (up != null) { // the proof: an empty message sealed under the run's key
        byte[] proof = new byte[StepCipher.TAG_BYTES];
        up.seal(new byte[0], 0, proof);
        out.write(proof);
      }
      out.flush();
      StepChannel.Inbox inbox = new StepChannel.Inbox(driver.down());
      StepChannel.Outbox outbox = new StepChannel.Outbox(up);
      byte[][] answers = new byte[parts.size()][];
      int[] lengths = new int[parts.size()];
      float[] p = new float[spec.network().paramCount()];
      ExecutorState.Group g = ExecutorState.group(spec);
      while (true) {
        byte[] msg = inbox.read(in, goOn);
        long t0 = System.nanoTime();
        long t = java.nio.ByteBuffer.wrap(msg, 0, 8).getLong();
        if (t == StepChannel.END) return new byte[0];
        if (ctx != null) ctx.killTaskIfInterrupted(); // cancelled while the driver still sends
        int n = msg.length - 8;
        if (n != 4 * p.length) throw new IllegalStateException("step " + t + " sent " + n + " weight bytes, expected " + 4 * p.length);
        java.nio.ByteBuffer.wrap(msg, 8, n).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(p);
        long fetched = System.nanoTime() - t0;
        // every partition computed before any is sent: a write that waits for the driver to read
        // (it reads in partition order, across tasks) must not hold up this task's next partition
        for (int i = 0; i < answers.length; i++) {
          Inputs in1 = parts.get(i);
          if (t == StepChannel.EVALUATE) {
            ExecutorFaults.point(ExecutorFaults.EVALUATE);
            double[] sums = Evaluator.evaluateBlocks(spec, p, in1.validation(), false);
            lengths[i] = 8 * sums.length;
            if (answers[i] == null || answers[i].length < lengths[i]) answers[i] = new byte[lengths[i]];
            java.nio.ByteBuffer.wrap(answers[i]).order(java.nio.ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(sums);
          } else {
            ExecutorFaults.point(ExecutorFaults.GRADIENT, t);
            LossSum sum = PartitionGradient.accumulate(spec, plan, g, in1.train(), p, Math.toIntExact(t / spe), (int) (t % spe));
            // the task's time so far: the last partition's is the task's, as a job's task reports it
            answers[i] = PartitionGradient.shipped(g, sum, System.nanoTime() - t0, fetched, answers[i]);
            lengths[i] = answers[i].length;
          }
        }
        for (int i = 0; i < answers.length; i++) outbox.set(answers[i], lengths[i]).writeTo(out);
        out.flush();
      }
    } catch (IOException e) {
      if (ctx != null && ctx.isInterrupted()) throw new org.apache.spark.TaskKilledException("cancelled by the driver");
      throw new UncheckedIOException("streamed steps: lost the driver at " + driver.host() + ":" + driver.port(), e);
    }
  }
}
