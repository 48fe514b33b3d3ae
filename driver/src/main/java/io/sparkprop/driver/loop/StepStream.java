package io.sparkprop.driver.loop;

import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.failure.JobFailures;
import io.sparkprop.trainer.nn.EvalSums;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.runtime.AbstractFunction0;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * A cluster's steps without a Spark job each: one job whose tasks (one per task slot, each holding
 * a group of partitions, {@link StreamGroups}; all running at once) stay up across steps and
 * epochs and exchange every step's weights and gradients with the driver over a
 * {@link StepChannel}. The shape is the per-step job's: the
 * driver sends the weights, every task returns each of its partitions' summed gradient ({@link
 * StreamedTask}, the code of {@link PartitionGradient}), the driver adds them in partition order
 * ({@link OrderedSum}), checks them and applies the optimizer ({@link
 * DistributedTrainer#finishStep}); the weights are bitwise those of one job per step. When the
 * validation set has as many partitions as the training set its blocks are zipped into the same
 * tasks, and the per-epoch evaluation goes over the stream too ({@link Evaluator#combine}, the
 * evaluation job's sums). What goes is Spark's per-job cost (scheduling, the task binary's
 * broadcast and fetch, task launch and result), which on a small cluster is most of a step, and
 * the evaluation's job and weights broadcast (docs/benchmarks.md).
 *
 * <p>Used with more than one partition, steps per job not 1, gradients added on the driver and
 * weights small enough to travel inside a task ({@link DistributedTrainer#WEIGHTS_IN_TASK_BYTES});
 * where Spark's RPC is encrypted the channel is sealed ({@link StepCipher}). While it runs
 * its tasks hold the slots, so the trainer ends it before any other job ({@link #end}). A stream
 * that breaks (an executor lost, a task retried, the tasks not all started within
 * {@link #JOIN_SECONDS}) ends; the step it was taking runs as a job, whose retries handle the
 * failure, and so does the rest of the epoch; the next epoch opens a new stream, up to
 * {@link #MAX_BREAKS} breaks a run. A stream whose tasks hold several partitions each restarts at
 * the next epoch's start when the cluster has gained task slots (executors that joined late).
 * Only the steps of a {@link DistributedTrainer#fit} stream. A failure that ends the run (the job
 * group cancelled, the application killed) is thrown as the job path throws it.
 */
final class StepStream implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);
  /** How long the driver waits for every task of a stream to connect, and for them to end. */
  static final int JOIN_SECONDS = 60;
  /**
   * How long the driver waits for a step's results at least; at most 20 times the slowest step so
   * far beyond it. An executor whose machine vanished closes no connection, and Spark, which may
   * take minutes to declare it lost, retries its task into a stream that no longer reads: the
   * stream breaks instead, and the step's job sees the loss with Spark's own detection.
   */
  static final long STEP_WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);
  /** Broken streams after which a run takes one job per step to its end. */
  static final int MAX_BREAKS = 3;

  private final DistributedTrainer tr;
  private StepChannel channel; // opened with the first stream, closed with the run
  private boolean active; // inside a fit
  private PackedData validation; // zipped into the streams' tasks when its partitions match the training set's
  private long streams; // streams started, each one's number in its tasks' hello
  private int lastTasks;
  private int breaks;
  private long brokenEpoch = -1; // the epoch of the last break: the rest of it runs one job per step
  private final List<String> breakReasons = new ArrayList<>();
  private String lastWhy; // why the last step could not stream, logged when it changes
  private volatile long steps; // steps streamed (volatile: tests watch it from another thread)
  private long evaluations;
  private boolean inLocalMode; // tests: a local master streams too, its tasks connect over loopback
  private long breakAt = -1; // tests: the connections close before this global step
  private java.util.function.IntSupplier slots; // the cluster's task slots (tests: any number)

  // the open stream
  private SimpleFutureAction<BoxedUnit> job;
  private StepChannel.Peer[] peers; // one per task
  private StepChannel.Peer[] peerOf; // per partition, its task's
  private PackedData zipped;
  private long sendNanos;
  private long slowestNanos; // the slowest streamed step so far
  private StepChannel.Outbox outbox; // the driver's messages to the open stream's tasks
  private byte[] message = new byte[0]; // the step and the weights, as sent
  private boolean sealedInTests; // tests: seal the channel as where Spark's RPC is encrypted
  private boolean sealed; // the channel was opened sealed

  StepStream(DistributedTrainer tr) {
    this.tr = tr;
    this.slots = () -> slots(tr.sparkContext());
  }

  /** Tests: the cluster's task slots, as {@code slots} says (a cluster that grows, or fewer slots than local mode's). */
  StepStream slots(java.util.function.IntSupplier s) {
    this.slots = s;
    return this;
  }

  /** Tests: stream with a local master (the tasks connect to this JVM over loopback). */
  StepStream inLocalMode(boolean b) {
    this.inLocalMode = b;
    return this;
  }

  /** Tests: seal the channel ({@link StepCipher}) as where Spark's RPC is encrypted; set before the first stream. */
  StepStream sealed(boolean b) {
    this.sealedInTests = b;
    return this;
  }

  /** Whether the run's streams were sealed (false before its first stream). */
  boolean isSealed() {
    return sealed;
  }

  /** Tests: the connections to the tasks close before global step {@code t}, as when an executor is lost. */
  StepStream breakAt(long t) {
    this.breakAt = t;
    return this;
  }

  long steps() { return steps; }
  /** Streams started: one, unless a stream broke or restarted. */
  long streams() { return streams; }
  /** The tasks of the last stream started. */
  int tasks() { return lastTasks; }
  long evaluations() { return evaluations; }
  int breaks() { return breaks; }
  /** Why each broken stream broke, in order. */
  List<String> breakReasons() { return List.copyOf(breakReasons); }
  /** The driver's time to encode and send the last streamed step's weights. */
  long sendNanos() { return sendNanos; }

  /**
   * Lets the steps of a {@link DistributedTrainer#fit} stream, until {@link #close}, and opens
   * the stream for global step {@code t} where it can be used, so that its start (a job launched,
   * every task connected) is the fit's setup, not its first step's time. {@code v}, the
   * validation set of its epochs (or null), is zipped into the streams' tasks when its partitions
   * match the training set's. Steps taken outside a fit never stream: nothing would end their
   * stream and free the slots it holds.
   */
  void begin(PackedData v, long t) {
    if (v != validation) end();
    validation = v;
    active = true;
    if (job == null) open(t);
  }

  /** Why a stream cannot be used here, or null when it can. */
  static String unavailable(JavaSparkContext sc, int partitions, long weightBytes, long weightsInTaskBytes, boolean onExecutors) {
    if (partitions < 2) return "one partition";
    if (onExecutors) return "gradients added on the executors";
    if (weightBytes > weightsInTaskBytes) return "weights of " + weightBytes + " bytes";
    if (slots(sc) < 1) return "no executor has registered";
    return null;
  }

  /** The cluster's task slots now: how many tasks can run at once. */
  static int slots(JavaSparkContext sc) {
    org.apache.spark.SparkContext c = sc.sc();
    return c.maxNumConcurrentTasks(c.resourceProfileManager().defaultResourceProfile());
  }

  /**
   * The tasks of a stream over {@code data} on the cluster as it is now: one per task slot (or
   * per partition, where they are fewer), each holding partitions cached on one executor.
   */
  static StreamGroups groups(JavaSparkContext sc, PackedData data, int slots) {
    org.apache.spark.SparkContext c = sc.sc();
    RDD<?> blocks = data.blocks();
    String[] at = new String[data.partitions()];
    for (int i = 0; i < at.length; i++) {
      // Spark's own preference for the partition, its cache location first (what coalesce uses)
      for (Object l : scala.jdk.javaapi.CollectionConverters.asJava(c.getPreferredLocs(blocks, i))) {
        if (l.toString().startsWith("executor_")) {
          at[i] = l.toString();
          break;
        }
      }
    }
    int executors = Math.max(1, sc.statusTracker().getExecutorInfos().length - (c.isLocal() ? 0 : 1)); // less the driver
    return StreamGroups.plan(at, slots, Math.max(1, slots / executors));
  }

  /** Whether global step {@code t} may open a stream: the run's settings and the cluster allow one, and no break in t's epoch. */
  boolean usable(long t) {
    JavaSparkContext sc = tr.sparkContext();
    if (!active || tr.stepsPerJobSetting() == 1 || breaks >= MAX_BREAKS || (sc.sc().isLocal() && !inLocalMode)) return false;
    if (t / tr.plan().stepsPerEpoch() == brokenEpoch) return false;
    String why = unavailable(sc, tr.data().partitions(), 4L * tr.liveParams().length, tr.weightsInTaskLimit(), tr.reducesOnExecutors());
    if (why != null && !why.equals(lastWhy)) {
      LOG.info("{}: one Spark job per step ({}; docs/cluster.md, \"Steps stream\")", tr.runName(), why);
    }
    lastWhy = why;
    return why == null;
  }

  /**
   * Global step {@code t}'s partition results through the stream (opened first if need be), or
   * null when no stream runs now or it broke: then the caller runs the step as a job, from the
   * same weights (nothing was applied).
   */
  OrderedSum step(long t) {
    if (job != null && t % tr.plan().stepsPerEpoch() == 0 && peers.length < tr.data().partitions()
        && Math.min(slots.getAsInt(), tr.data().partitions()) > peers.length) {
      LOG.info("{}: the cluster has more task slots than the stream's {} tasks; restarting it", tr.runName(), peers.length);
      end();
    }
    if (job == null && !open(t)) return null;
    try {
      if (t == breakAt) for (StepChannel.Peer p : peers) p.close();
      // a cancelled job group fails the job at once, while its tasks may still answer
      if (job.isCompleted()) throw new IOException("the stream's job ended");
      long t0 = System.nanoTime();
      send(t);
      sendNanos = System.nanoTime() - t0;
      OrderedSum sum = new OrderedSum(peerOf.length, tr.gradSum(), tr.addend());
      BooleanSupplier waiting = running(t0 + Math.max(STEP_WAIT_NANOS, 20 * slowestNanos));
      // each task answers for its partitions in order: read in partition order, each is added as it comes
      for (int i = 0; i < peerOf.length; i++) sum.apply(i, peerOf[i].inbox.read(peerOf[i].in, waiting));
      slowestNanos = Math.max(slowestNanos, System.nanoTime() - t0);
      steps++;
      return sum;
    } catch (IOException | RuntimeException e) {
      broke(t, e);
      return null;
    }
  }

  /**
   * The current weights' evaluation sums over {@code eval} through the stream, or null when the
   * stream does not hold {@code eval} (or broke): then the caller ends the stream and runs the
   * evaluation job.
   */
  EvalSums evaluate(PackedData eval) {
    if (job == null || eval != zipped) return null;
    try {
      if (job.isCompleted()) throw new IOException("the stream's job ended");
      send(StepChannel.EVALUATE);
      double[][] parts = new double[peerOf.length][];
      BooleanSupplier waiting = running(System.nanoTime() + Math.max(STEP_WAIT_NANOS, 20 * slowestNanos));
      for (int i = 0; i < peerOf.length; i++) {
        byte[] answer = peerOf[i].inbox.read(peerOf[i].in, waiting);
        java.nio.DoubleBuffer d = java.nio.ByteBuffer.wrap(answer).order(java.nio.ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
        parts[i] = new double[d.remaining()];
        d.get(parts[i]);
      }
      evaluations++;
      return Evaluator.combine(parts, tr.spec().network().outputSize(), false).sums();
    } catch (IOException | RuntimeException e) {
      broke(tr.optimizerState().step(), e);
      return null;
    }
  }

  private boolean open(long t) {
    if (!usable(t)) return false;
    JavaSparkContext sc = tr.sparkContext();
    PackedData data = tr.data();
    int parts = data.partitions();
    zipped = validation != null && validation.partitions() == parts ? validation : null;
    if (channel == null) {
      SparkConf conf = sc.getConf();
      String host = conf.get("spark.driver.host", "localhost");
      try {
        channel = StepChannel.open(conf.get("spark.driver.bindAddress", host), host, sealedInTests || rpcEncrypted(conf));
        sealed = channel.sealed();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("could not listen for streamed steps on " + host, e);
      }
    }
    long id = ++streams;
    StreamGroups groups = groups(sc, data, slots.getAsInt());
    int tasks = groups.size();
    lastTasks = tasks;
    sc.setJobGroup(tr.jobGroup(), "sparkprop run " + tr.runName(), true);
    sc.setJobDescription(tr.runName() + ": steps from global step " + t + ", " + parts + " partitions in " + tasks
        + " streaming tasks" + (zipped != null ? " with the validation set" : ""));
    RDD<Object> input = StreamedTask.input(data, zipped, groups);
    List<Object> ids = new ArrayList<>(tasks);
    for (int i = 0; i < tasks; i++) ids.add(i);
    outbox = new StepChannel.Outbox(channel.down(id));
    job = sc.sc().submitJob(input, new StreamedTask(channel.address(id), tr.spec(), tr.plan()),
        scala.jdk.javaapi.CollectionConverters.asScala(ids).toList(),
        new AbstractFunction2<Object, byte[], BoxedUnit>() {
          @Override
          public BoxedUnit apply(Object part, byte[] empty) {
            return BoxedUnit.UNIT;
          }
        }, new AbstractFunction0<BoxedUnit>() {
          @Override
          public BoxedUnit apply() {
            return BoxedUnit.UNIT;
          }
        });
    try {
      long t0 = System.nanoTime();
      peers = channel.accept(id, tasks, t0 + TimeUnit.SECONDS.toNanos(JOIN_SECONDS), running());
      if (peers != null) {
        peerOf = new StepChannel.Peer[parts];
        int[] g = groups.groupOf(parts);
        for (int i = 0; i < parts; i++) peerOf[i] = peers[g[i]];
        LOG.info("{}: steps stream over {} tasks holding {} partitions{} from global step {} (tasks connected in {} ms{})",
            tr.runName(), tasks, parts, zipped != null ? " and the validation set" : "", t, (System.nanoTime() - t0) / 1_000_000,
            channel.sealed() ? "; sealed with AES-GCM, as Spark's RPC is encrypted" : "");
        return true;
      }
      broke(t, new IOException(job.isCompleted() ? "the job ended before its tasks connected"
          : "its tasks did not all start within " + JOIN_SECONDS + " s"));
    } catch (IOException e) {
      broke(t, e);
    }
    return false;
  }

  /** While the stream's job runs. */
  private BooleanSupplier running() {
    SimpleFutureAction<BoxedUnit> j = job;
    return () -> !j.isCompleted();
  }

  /** While the stream's job runs and {@code deadlineNanos} (System.nanoTime) has not passed. */
  private BooleanSupplier running(long deadlineNanos) {
    SimpleFutureAction<BoxedUnit> j = job;
    return () -> !j.isCompleted() && System.nanoTime() - deadlineNanos < 0;
  }

  /** Whether Spark's RPC is encrypted: then so is the channel ({@link StepCipher}). */
  static boolean rpcEncrypted(SparkConf conf) {
    return conf.getBoolean("spark.network.crypto.enabled", false) || conf.getBoolean("spark.authenticate.enableSaslEncryption", false)
        || conf.getBoolean("spark.ssl.enabled", false);
  }

  /** Sends {@code t} (a step, or {@link StepChannel#EVALUATE}) and the current weights to every task. */
  private void send(long t) throws IOException {
    float[] w = tr.liveParams();
    if (message.length != 8 + 4 * w.length) message = new byte[8 + 4 * w.length];
    java.nio.ByteBuffer.wrap(message).putLong(t);
    ExecutorState.encodeParams(w, message, 8); // after the step's index, in the one buffer sent
    outbox.set(message, message.length);
    for (StepChannel.Peer p : peers) {
      outbox.writeTo(p.out);
      p.out.flush();
    }
  }

  /**
   * Ends the broken stream; throws what ends the run when the stream's job failed for a reason
   * that is not a lost executor or task (the job group cancelled, the application killed).
   */
  private void broke(long t, Exception e) {
    // a cancelled job group or a stopped context fails the job a moment after its tasks drop their
    // connections: wait that moment, so that the step does not rerun as a job nobody cancelled
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    try {
      while (job != null && !job.isCompleted() && System.nanoTime() - until < 0) Thread.sleep(5);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
    Throwable failure = job != null && job.isCompleted() && job.value().get().isFailure() ? job.value().get().failed().get() : null;
    cancel();
    if (failure != null && !JobFailures.retryable(failure, tr.sparkContext().sc())) throw JobFailures.unchecked(failure);
    breaks++;
    brokenEpoch = t / tr.plan().stepsPerEpoch();
    String why = firstLine(failure != null ? String.valueOf(failure.getMessage()) : e.toString());
    breakReasons.add("at global step " + t + ": " + why);
    LOG.warn("{}: the step stream broke at global step {} ({}); the rest of the epoch runs one job per step", tr.runName(), t, why);
  }

  /**
   * Ends a broken stream at once: its job cancelled (Spark interrupts the tasks, which stop
   * waiting on the channel), its connections closed. A task Spark retried would wait for a
   * stream that is gone; the cancellation ends it too.
   */
  private void cancel() {
    if (job == null) return;
    if (!job.isCompleted()) job.cancel();
    if (peers != null) for (StepChannel.Peer p : peers) p.close();
    job = null;
    peers = null;
    peerOf = null;
    zipped = null;
  }

  /** Ends the open stream, if any: its tasks return and free their slots (or are cancelled after {@link #JOIN_SECONDS}). */
  void end() {
    if (job == null) return;
    SimpleFutureAction<BoxedUnit> j = job;
    if (peers != null) {
      outbox.set(java.nio.ByteBuffer.allocate(8).putLong(StepChannel.END).array(), 8);
      for (StepChannel.Peer p : peers) {
        try {
          outbox.writeTo(p.out);
          p.out.flush();
        } catch (IOException ignored) {
          // its task is gone already
        }
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS);
      try {
        while (!j.isCompleted() && System.nanoTime() < deadline) Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      for (StepChannel.Peer p : peers) p.close();
    }
    if (!j.isCompleted()) j.cancel();
    job = null;
    peers = null;
    peerOf = null;
    zipped = null;
  }

  /** Ends the open stream and the fit's streaming; closes the channel. */
  @Override
  public void close() {
    end();
    active = false;
    if (channel != null) channel.close();
    channel = null;
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
