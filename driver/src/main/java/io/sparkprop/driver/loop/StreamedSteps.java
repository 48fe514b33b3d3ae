package io.sparkprop.driver.loop;

import io.sparkprop.trainer.nn.LossSum;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.runtime.AbstractFunction0;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Several steps of several tasks in one Spark job, for a cluster: the job's tasks (one per
 * partition group, all running at once) stay up for a chunk of steps and exchange each step's
 * weights and gradients with the driver over a {@link StepChannel} instead of through a Spark
 * job per step. The shape is the per-step job's: the driver sends the weights, every task returns
 * its partitions' summed gradient, the driver adds them in partition order ({@link OrderedSum}),
 * checks them and applies the optimizer ({@link DistributedTrainer#finishStep}); the weights are
 * bitwise those of one job per step. What goes is Spark's per-job cost (scheduling, the task
 * binary's broadcast and its fetch, task launch and result), which on a small cluster is most of
 * a step (docs/benchmarks.md).
 *
 * <p>Used only where every task can run at once and the channel adds nothing a user turned off:
 * more than one task, no more tasks than the cluster's task slots, gradients added on the driver,
 * weights small enough to travel inside a task ({@link DistributedTrainer#WEIGHTS_IN_TASK_BYTES}),
 * and Spark's RPC encryption off. Anything that breaks a chunk (an executor lost, a task retried,
 * the tasks not all starting within {@link #JOIN_SECONDS}) ends it after its last finished step;
 * the caller runs the rest of the epoch one job per step, whose retries handle the failure, and
 * the same weights come out.
 */
final class StreamedSteps implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);
  /** How long the driver waits for every task of a chunk to connect. */
  static final int JOIN_SECONDS = 60;
  /** Broken chunks after which a run takes one job per step to its end. */
  static final int MAX_BREAKS = 3;

  private final DistributedTrainer tr;
  private StepChannel channel; // opened at the first chunk, closed with the run
  private int breaks;
  private final List<String> breakReasons = new ArrayList<>();
  private boolean inLocalMode; // tests: streamed steps with a local master, whose tasks run in this JVM
  private long breakAt = -1; // tests: the driver's connections to the tasks close before this global step
  private long chunks; // chunks started, each one's number in its tasks' hello
  private volatile long steps; // steps run streamed (volatile: tests watch it from another thread)

  StreamedSteps(DistributedTrainer tr) {
    this.tr = tr;
  }

  /** Tests: streamed steps with a local master (the tasks connect to this JVM over loopback). */
  StreamedSteps inLocalMode(boolean b) {
    this.inLocalMode = b;
    return this;
  }

  /**
   * Whether the next chunk of steps streams: several tasks, steps per job not 1, a cluster (or a
   * test's local master) on which nothing above rules it out, and fewer than {@link #MAX_BREAKS}
   * broken chunks so far. Asked at every chunk: executors come and go.
   */
  boolean usable() {
    JavaSparkContext sc = tr.sparkContext();
    if (tr.stepsPerJobSetting() == 1 || breaks >= MAX_BREAKS || (sc.sc().isLocal() && !inLocalMode)) return false;
    String why = unavailable(sc, tr.data().partitions(), 4L * tr.liveParams().length, tr.weightsInTaskLimit(), tr.reducesOnExecutors());
    if (why != null) LOG.debug("{}: one job per step ({})", tr.runName(), why);
    return why == null;
  }

  /** Tests: the connections to the tasks close before global step {@code t}, as when an executor is lost. */
  StreamedSteps breakAt(long t) {
    this.breakAt = t;
    return this;
  }

  /** Steps run streamed so far; chunks that broke. */
  long steps() {
    return steps;
  }

  int breaks() {
    return breaks;
  }

  /** Why each broken chunk broke, in order. */
  List<String> breakReasons() {
    return List.copyOf(breakReasons);
  }

  private StepChannel channel() {
    if (channel == null) {
      SparkConf conf = tr.sparkContext().getConf();
      String host = conf.get("spark.driver.host", "localhost");
      try {
        channel = StepChannel.open(conf.get("spark.driver.bindAddress", host), host);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("could not listen for streamed steps on " + host, e);
      }
    }
    return channel;
  }

  @Override
  public void close() {
    if (channel != null) channel.close();
    channel = null;
  }

  /** Why a chunk's stream cannot be used here, or null when it can. */
  static String unavailable(JavaSparkContext sc, int partitions, long weightBytes, long weightsInTaskBytes, boolean onExecutors) {
    if (partitions < 2) return "one task";
    if (onExecutors) return "gradients added on the executors";
    if (weightBytes > weightsInTaskBytes) return "weights of " + weightBytes + " bytes";
    SparkConf conf = sc.getConf();
    if (conf.getBoolean("spark.network.crypto.enabled", false) || conf.getBoolean("spark.authenticate.enableSaslEncryption", false)
        || conf.getBoolean("spark.ssl.enabled", false)) {
      return "Spark's RPC is encrypted";
    }
    int slots = slots(sc);
    if (slots < partitions) return partitions + " tasks on " + slots + " task slots";
    return null;
  }

  /** How many tasks of the default resource profile the cluster runs at once now. */
  static int slots(JavaSparkContext sc) {
    org.apache.spark.SparkContext c = sc.sc();
    return c.maxNumConcurrentTasks(c.resourceProfileManager().defaultResourceProfile());
  }

  /**
   * Runs up to {@code n} steps (inside the current epoch) as one job of streaming tasks. Returns
   * the steps done, which are fewer than {@code n} when the stream broke (nothing lost: the
   * trainer is at the last finished step) or a step diverged (then with its failure, the state
   * left as {@link DistributedTrainer#step()} leaves it).
   */
  FusedSteps.Chunk chunk(int n) {
    JavaSparkContext sc = tr.sparkContext();
    int parts = tr.data().partitions();
    long first = tr.optimizerState().step();
    int spe = tr.plan().stepsPerEpoch();
    List<LossSum> sums = new ArrayList<>(n);
    List<StepStats> stats = new ArrayList<>(n);
    DivergenceException failure = null;
    StepChannel channel = channel();
    sc.setJobGroup(tr.jobGroup(), "sparkprop run " + tr.runName(), true);
    sc.setJobDescription(tr.runName() + ": epoch " + first / spe + " steps " + first % spe + "-" + (first % spe + n - 1)
        + " (global steps " + first + "-" + (first + n - 1) + ", " + parts + " streaming tasks)");
    SimpleFutureAction<BoxedUnit> job = sc.sc().submitJob(tr.data().blocks(),
        new StreamedTask(channel.address(++chunks), tr.spec(), tr.plan()), tr.stepPartitions(), new AbstractFunction2<Object, byte[], BoxedUnit>() {
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
    BooleanSupplier running = () -> !job.isCompleted();
    StepChannel.Peer[] peers = null;
    String broke = null;
    try {
      peers = channel.accept(chunks, parts, System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS), running);
      if (peers == null) {
        broke = job.isCompleted() ? "the job ended before its tasks connected" : "its tasks did not all start within " + JOIN_SECONDS + " s";
      }
      byte[] scratch = new byte[8];
      for (int j = 0; peers != null && j < n; j++) {
        long t = first + j;
        if (t == breakAt) for (StepChannel.Peer p : peers) p.close();
        long t0 = System.nanoTime();
        byte[] w = ExecutorState.encodeParams(tr.liveParams(), tr.paramBytes());
        for (StepChannel.Peer p : peers) {
          p.out.writeLong(t);
          p.out.writeInt(w.length);
          p.out.write(w);
          p.out.flush();
        }
        long sent = System.nanoTime() - t0;
        OrderedSum sum = new OrderedSum(parts, tr.gradSum());
        for (StepChannel.Peer p : peers) {
          int len = StepChannel.readInt(p.in, scratch, running);
          byte[] r = new byte[len];
          StepChannel.readFully(p.in, r, 0, len, running);
          sum.apply(p.partition, r);
        }
        try {
          sums.add(tr.finishStep(t, t0, sum, sum.grad(), sent));
          stats.add(tr.lastStepStats());
          steps++;
        } catch (DivergenceException e) {
          failure = e;
          break;
        }
      }
      if (peers != null) {
        for (StepChannel.Peer p : peers) {
          p.out.writeLong(StepChannel.END);
          p.out.flush();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS);
        while (!job.isCompleted() && System.nanoTime() < deadline) Thread.sleep(1);
        if (!job.isCompleted()) broke = "its tasks did not end within " + JOIN_SECONDS + " s of the last step";
        else if (job.value().get().isFailure()) broke = "its job failed after the last step";
      }
    } catch (IOException | RuntimeException | InterruptedException e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      broke = job.isCompleted() && job.value().get().isFailure() ? String.valueOf(job.value().get().failed().get().getMessage())
          : e.toString();
    } finally {
      if (peers != null) for (StepChannel.Peer p : peers) p.close();
      if (!job.isCompleted()) job.cancel();
    }
    if (broke != null) {
      breaks++;
      breakReasons.add("after global step " + (first + sums.size() - 1) + ": " + firstLine(broke));
      LOG.warn("{}: streamed steps stopped after global step {} ({}); the rest of the epoch runs one job per step", tr.runName(),
          first + sums.size() - 1, firstLine(broke));
    }
    return new FusedSteps.Chunk(first, sums.toArray(new LossSum[0]), stats.toArray(new StepStats[0]), failure);
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
