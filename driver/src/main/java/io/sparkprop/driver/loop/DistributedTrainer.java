package io.sparkprop.driver.loop;

import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.failure.JobFailures;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.batch.BatchPlan;
import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.optim.OptimizerState;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.reflect.ClassTag$;
import scala.reflect.ClassTag;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Synchronous data-parallel minibatch SGD on Spark.
 *
 * <p>Every {@link #step()} is exactly one Spark job: broadcast the flat parameter array; each
 * task finds its partition's members of global batch k (the engine's {@link BatchPlan}, a pure
 * function of seed, epoch and example id) and returns their summed gradient, loss and weight; the
 * driver adds the partial results in partition order ({@link OrderedSum}), divides once by the
 * global weight and applies the optimizer; the broadcast is destroyed. The arithmetic is that of
 * the single-process {@link io.sparkprop.trainer.LocalTrainer}: with one partition the weights are
 * bitwise equal to it, with more they differ only by float32 summation order, and the same seed,
 * data and partition count give bitwise identical weights on every run, retried tasks included.
 *
 * <p>Owns the current parameters and optimizer state (mutated by every step). Each run gets its
 * own Spark job group ({@link #jobGroup()}), so it can be cancelled with
 * {@code sc.cancelJobGroup}; each step's job is described as "run epoch e step k" in the UI.
 */
public final class DistributedTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);
  static final ClassTag<byte[]> STEP_TAG = ClassTag$.MODULE$.apply(byte[].class);
  static final ClassTag<byte[]> PARAMS_TAG = ClassTag$.MODULE$.apply(byte[].class);

  private final JavaSparkContext sc;
  private final TrainingSpec spec;
  private final PackedData data;
  private final BatchPlan plan;
  private final float[] params;
  private OptimizerState state; // replaced by a chunk's result (FusedSteps), else mutated by each step
  private final String runName;
  private final String jobGroup;
  private final float[] gradSum; // the driver's gradient sum, reused by every step
  private final float[] addend; // a later partition's gradient, decoded to be added (OrderedSum), reused
  private final byte[] paramBytes; // the parameters as broadcast (little-endian float32), reused by every step
  private final scala.collection.immutable.Seq<Object> stepPartitions; // every partition, as runJob takes them
  private StepStats lastStats;
  private long lastBroadcastNanos;
  private long weightsInTaskBytes = WEIGHTS_IN_TASK_BYTES;
  private Reduce reduce = Reduce.AUTO;
  private Boolean onExecutors; // the resolved choice, at the first step
  private final int reduceRun = java.util.concurrent.ThreadLocalRandom.current().nextInt(1 << 30);
  private final java.util.Set<String> usedLocations = new java.util.LinkedHashSet<>(); // every executor that stored slices
  private int stepsPerJob; // 0: auto
  private boolean broadcastState; // tests: the cluster's way of sending a chunk's state, in local mode
  private StepStream stream; // a cluster's steps without a job each, opened at the first step that can use it

  /**
   * Who adds the partitions' gradients. DRIVER: each task ships its gradient to the driver, which
   * adds them in partition order (one job per step). EXECUTORS: a reduce-scatter among the
   * executors ({@link ExecutorReduce}), so the driver takes in one gradient's bytes per step (two
   * jobs per step). AUTO: EXECUTORS when the executors are not the driver's JVM (not local mode),
   * there is more than one partition and the gradients the driver would take in beyond the first
   * reach {@link #REDUCE_BYTES}; otherwise DRIVER. Both give bitwise the same weights.
   */
  public enum Reduce { AUTO, DRIVER, EXECUTORS;
    public static Reduce parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("gradient reduce '" + s + "' is not one of auto, driver, executors");
      }
    }
  }

  /**
   * Attempts of a step whose job failed (an executor lost with its slices or its task's retries
   * used up): each reruns the step from the same broadcast parameters, so the result is the same.
   */
  static final int STEP_ATTEMPTS = 4;

  /**
   * Weights up to this size travel inside each step's task closure (with Spark's own task-binary
   * broadcast, one fetch per executor and step); larger ones in a broadcast of their own
   * ({@link StepWeights}). 4 MB is one piece of Spark's default broadcast block size.
   */
  static final long WEIGHTS_IN_TASK_BYTES = 4L << 20;

  /** AUTO reduces on the executors from this many extra gradient bytes per step into the driver. */
  public static final long REDUCE_BYTES = 8L << 20;

  /** Starts from the spec's seeded initial weights. */
  public DistributedTrainer(JavaSparkContext sc, TrainingSpec spec, PackedData data, String runName) {
    this(sc, spec, data, runName, spec.initialParams(), spec.optimizer().initialise(spec.network().paramCount()));
  }

  /** Continues from given parameters and optimizer state (warm start or resume); both are copied. */
  public DistributedTrainer(JavaSparkContext sc, TrainingSpec spec, PackedData data, String runName, float[] params,
      OptimizerState state) {
    this.sc = Objects.requireNonNull(sc, "spark context");
    this.spec = Objects.requireNonNull(spec, "spec");
    this.data = Objects.requireNonNull(data, "data");
    this.runName = Objects.requireNonNull(runName, "run name");
    spec.network().checkParams(params, "initial parameters");
    for (int i = 0; i < params.length; i++) {
      if (!Float.isFinite(params[i])) throw new IllegalArgumentException("initial parameter " + i + " is " + params[i]);
    }
    long slots = (long) params.length * spec.optimizer().slotsPerParam();
    if (state.slotLength() != slots) {
      throw new IllegalArgumentException("optimizer state has " + state.slotLength() + " slots, "
          + spec.optimizer().kind() + " on " + params.length + " parameters needs " + slots);
    }
    this.plan = spec.plan(data.rows());
    this.params = params.clone();
    this.gradSum = new float[params.length];
    this.addend = new float[params.length];
    this.paramBytes = new byte[4 * params.length];
    this.stepPartitions = allPartitions(data);
    this.state = state.copy();
    this.jobGroup = "sparkprop-" + runName + "-" + UUID.randomUUID();
  }

  /** Packs, validates and caches an example set with the default storage level, MEMORY_AND_DISK. */
  public static PackedData pack(io.sparkprop.datasets.ExampleSet set, TrainingSpec spec) {
    return PackedData.pack(set, spec.network(), StorageLevel.MEMORY_AND_DISK());
  }

  /** Whether {@code reduce} adds the gradients of {@code partitions} partitions of {@code params} parameters on the executors. */
  public static boolean reducesOnExecutors(Reduce reduce, boolean localMaster, int partitions, long params) {
    return switch (reduce) {
      case DRIVER -> false;
      case EXECUTORS -> partitions > 1;
      case AUTO -> !localMaster && partitions > 1 && 4L * params * (partitions - 1) >= REDUCE_BYTES;
    };
  }

  /** Sets who adds the gradients (before the first step; default AUTO). */
  public DistributedTrainer reduce(Reduce r) {
    this.reduce = Objects.requireNonNull(r, "reduce");
    this.onExecutors = null;
    return this;
  }

  /** Whether steps reduce on the executors (resolving AUTO). */
  public boolean reducesOnExecutors() {
    if (onExecutors == null) {
      int p = data.partitions();
      onExecutors = reducesOnExecutors(reduce, sc.sc().isLocal(), p, params.length);
      LOG.info("{}: gradients of {} partitions x {} parameters are added {}", runName, p, params.length,
          onExecutors ? "on the executors (reduce-scatter; the driver takes in one gradient per step)" : "on the driver");
    }
    return onExecutors;
  }

  /**
   * Sets how many steps one Spark job may run when one task computes the whole global batch
   * ({@link FusedSteps}): 0 (the default) up to the rest of the epoch, 1 one job per step, K up
   * to K. With more than one task per step every step is one job whatever this says. The weights
   * are bitwise the same for every value.
   */
  public DistributedTrainer stepsPerJob(int k) {
    if (k < 0) throw new IllegalArgumentException("steps per job must be >= 0 (0: auto), got " + k);
    this.stepsPerJob = k;
    return this;
  }

  /**
   * Whether a chunk's state goes to its task and back by reference ({@link FusedSteps.Handoff}):
   * with a local master, whose tasks run in this JVM, unless a test asked for the broadcast.
   */
  boolean stateByReference() {
    return sc.sc().isLocal() && !broadcastState;
  }

  /** Tests: send a chunk's state by broadcast and result bytes even with a local master, as on a cluster. */
  DistributedTrainer broadcastState(boolean b) {
    this.broadcastState = b;
    return this;
  }

  /** This run's {@link StepStream}: whether its steps stream, the channel, the breaks. */
  StepStream stream() {
    if (stream == null) stream = new StepStream(this);
    return stream;
  }

  float[] gradSum() { return gradSum; }
  float[] addend() { return addend; }
  int stepsPerJobSetting() { return stepsPerJob; }
  long weightsInTaskLimit() { return weightsInTaskBytes; }
  byte[] paramBytes() { return paramBytes; }

  /** Whether {@link #fit} runs several steps per Spark job: one task holds the whole batch and steps per job is not 1. */
  public boolean fusesSteps() {
    return stepsPerJob != 1 && data.partitions() == 1;
  }

  public BatchPlan plan() { return plan; }
  public String jobGroup() { return jobGroup; }
  /** Steps taken so far (the next step's global index). */
  public long stepCount() { return state.step(); }
  /** A copy of the current parameters. */
  public float[] params() { return params.clone(); }
  /** A copy of the optimizer state. */
  public OptimizerState state() { return state.copy(); }

  /** One synchronous step: exactly one Spark job. Returns the batch's summed loss, weight and count. */
  public LossSum step() {
    long t = state.step();
    int spe = plan.stepsPerEpoch();
    int epoch = Math.toIntExact(t / spe);
    int k = (int) (t % spe);
    long t0 = System.nanoTime();
    DriverWarmup.stop();
    OrderedSum streamed = stream().step(t);
    if (streamed != null) return finishStep(t, t0, streamed, streamed.grad(), stream.sendNanos());
    sc.setJobGroup(jobGroup, "sparkprop run " + runName, true);
    sc.setJobDescription(runName + ": epoch " + epoch + " step " + k + " (global step " + t + ")");
    boolean reduced = reducesOnExecutors();
    OrderedSum sum;
    float[] g;
    for (int attempt = 1; ; attempt++) {
      // the last attempt adds on the driver: slices an executor could not store or serve cannot fail the step again
      int slices = reduced && attempt < STEP_ATTEMPTS ? data.partitions() : 0;
      try {
        sum = gradientJob(epoch, k, t, slices);
        if (sum.stored()) {
          String[] where = sum.locations();
          for (String l : where) if (l != null) usedLocations.add(l);
          g = ExecutorReduce.reduceSlices(sc, runName, reduceRun, t, where, gradSum, stepPartitions);
        } else {
          g = sum.grad();
        }
        break;
      } catch (Exception e) { // Spark's job failures are SparkExceptions, thrown undeclared
        if (attempt >= STEP_ATTEMPTS || !JobFailures.retryable(e, sc.sc())) throw JobFailures.unchecked(e);
        // an executor without room for its slices fails the same way again: add on the driver at once
        if (reduced && String.valueOf(e.getMessage()).contains(ExecutorReduce.NO_ROOM)) attempt = STEP_ATTEMPTS - 1;
        LOG.warn("{}: step {} failed on attempt {} of {} ({}); running the step again{}", runName, t, attempt, STEP_ATTEMPTS,
            JobFailures.summary(e), reduced && attempt + 1 == STEP_ATTEMPTS ? ", adding its gradients on the driver" : "");
      }
    }
    return finishStep(t, t0, sum, g, lastBroadcastNanos);
  }

  /**
   * The driver's half of step {@code t} begun at {@code t0}, once every partition's result is in
   * {@code sum} ({@code g} its gradient, or null for an empty batch): the loss, gradient and new
   * parameters checked, the optimizer applied, the timings kept.
   *
   * @throws DivergenceException when the loss or gradient (state unchanged) or the new parameters
   *     (state updated) are not finite
   */
  LossSum finishStep(long t, long t0, OrderedSum sum, float[] g, long sendNanos) {
    if (g == null) { // an empty batch: weight 0, no update
      g = gradSum;
      java.util.Arrays.fill(g, 0f);
    }
    if (!Double.isFinite(sum.loss())) throw DivergenceException.loss(t, sum.loss());
    int bad = firstNonFinite(g);
    if (bad >= 0) throw DivergenceException.gradient(t, bad, g[bad]);
    long t1 = System.nanoTime();
    spec.optimizer().stepFromSum(params, g, sum.weight(), state);
    bad = firstNonFinite(params);
    if (bad >= 0) throw DivergenceException.parameter(t, bad, params[bad]);
    long t2 = System.nanoTime();
    lastStats = new StepStats(t2 - t0, t1 - t0, sum.maxComputeNanos(), t2 - t1, sendNanos, sum.maxParamsNanos());
    return new LossSum(sum.loss(), sum.weight(), sum.count());
  }

  /** The first job of step t: every partition's gradient, summed on the driver or (slices > 0) stored on the executors. */
  private OrderedSum gradientJob(int epoch, int k, long t, int slices) {
    long b0 = System.nanoTime();
    byte[] bytes = ExecutorState.encodeParams(params, paramBytes);
    Broadcast<byte[]> bc = bytes.length > weightsInTaskBytes ? sc.sc().broadcast(bytes, PARAMS_TAG) : null;
    StepWeights weights = bc != null ? StepWeights.broadcast(bc) : StepWeights.inline(bytes);
    lastBroadcastNanos = System.nanoTime() - b0;
    OrderedSum sum = slices > 0 ? new OrderedSum(data.partitions()) : new OrderedSum(data.partitions(), gradSum, addend);
    try {
      sc.sc().runJob(data.blocks(), new PartitionGradient(weights, spec, plan, epoch, k, slices, reduceRun, t), stepPartitions,
          sum, STEP_TAG);
    } finally {
      if (bc != null) bc.destroy();
    }
    return sum;
  }

  /**
   * Steps of the next chunk: up to {@code left} (the rest of the epoch) or {@link #stepsPerJob},
   * ending early after the first step at which {@code hook} would save, so checkpoints fall on
   * the steps they fall on with one job per step.
   */
  int chunkLength(long left, CheckpointHook hook) {
    int cap = (int) Math.min(left, stepsPerJob == 0 ? Integer.MAX_VALUE : stepsPerJob);
    for (int j = 1; j < cap && hook != null; j++) {
      if (hook.due(state.step() + j, false)) return j;
    }
    return cap;
  }


  /**
   * Drops gradient slices a reduced run left on the executors (every executor that stored any,
   * also those whose partitions moved away); training may go on after it.
   */
  public void close() {
    if (stream != null) stream.close();
    if (!usedLocations.isEmpty()) {
      ExecutorReduce.release(sc.sc(), reduceRun, usedLocations.toArray(new String[0]));
      usedLocations.clear();
    }
  }

  /** Index of the first NaN or infinite value, or -1. */
  static int firstNonFinite(float[] a) {
    return firstNonFinite(a, 0, a.length);
  }

  /**
   * Index of the first NaN or infinite value of {@code a[from..to)}, or -1.
   *
   * <p>First one BLAS dot product of the slice with itself: a NaN or an infinity makes the sum of
   * squares NaN or infinite, and nothing makes it finite again, so a finite sum proves the slice
   * finite. It reads the slice once, in native code already in a fresh JVM's first step. Only a
   * sum that is not finite (a non-finite entry, or finite entries of 1.8e19 and more, whose squares
   * overflow) pays for the loop that names the first bad index, which is several times slower:
   * JDK 17's C2 vectorizes neither a loop with an early exit nor an OR over
   * {@code Float.floatToRawIntBits} (docs/benchmarks.md has the measurements).
   * A step checks the gradient sum and the parameters.
   */
  static int firstNonFinite(float[] a, int from, int to) {
    if (to <= from || Float.isFinite(io.sparkprop.trainer.nn.Blas.get().sdot(to - from, a, from, 1, a, from, 1))) return -1;
    for (int i = from; i < to; i++) {
      if (!Float.isFinite(a[i])) return i;
    }
    return -1;
  }

  /**
   * Bytes of the task binary every step's job ships to every task: what Spark's DAGScheduler
   * serializes and broadcasts for a result stage, the RDD with its lineage and the step's
   * function, without the weights (which small networks add, {@link StepWeights}). A reader that
   * captures something heavy (a Hadoop Configuration, rows) shows here.
   */
  public long stepTaskBinaryBytes() {
    Broadcast<byte[]> bc = sc.sc().broadcast(new byte[4], PARAMS_TAG);
    try {
      Object pair = new scala.Tuple2<>(data.blocks(), new PartitionGradient(StepWeights.broadcast(bc), spec, plan, 0, 0, 0, 0, 0));
      return org.apache.spark.SparkEnv.get().closureSerializer().newInstance()
          .serialize(pair, ClassTag$.MODULE$.apply(Object.class)).remaining();
    } finally {
      bc.destroy();
    }
  }

  /** Every partition index, as runJob takes them. */
  static scala.collection.immutable.Seq<Object> allPartitions(PackedData d) {
    return io.sparkprop.datasets.Rdds.partitions(d.partitions());
  }

  /** Timings of the last step, or null before the first. */
  public StepStats lastStepStats() { return lastStats; }

  /** Runs to the end of the current epoch; returns the summed losses of its steps. */
  public LossSum epoch() {
    int spe = plan.stepsPerEpoch();
    long left = spe - state.step() % spe;
    LossSum total = LossSum.ZERO;
    for (long i = 0; i < left; i++) total = total.plus(step());
    return total;
  }

  /** Evaluation sums of the current parameters over a packed data set, computed distributedly. */
  public EvalSums evaluate(PackedData eval) {
    EvalSums streamed = stream == null ? null : stream.evaluate(eval);
    if (streamed != null) return streamed;
    if (stream != null) stream.end(); // its tasks hold the slots the evaluation job needs
    return Evaluator.evaluate(sc, spec, params, eval, runName);
  }

  /**
   * Trains for {@code options.epochs()} epochs (counted from the current step's epoch), evaluating
   * on the validation set every {@code evalEvery} epochs and stopping early after
   * {@code patience} evaluations without improvement (0: never). With a validation set the
   * returned parameters are the best seen (and become this trainer's parameters).
   */
  public FitResult fit(FitOptions options, Consumer<EpochReport> listener) {
    return fit(options, listener, null);
  }

  /** What {@link #fit} reports after every step: the global step just taken, its sums and timings. */
  public interface StepListener {
    void step(long globalStep, int epoch, LossSum sums, StepStats stats);
  }

  /** As {@link #fit(FitOptions, Consumer)}, also calling {@code steps} after every step (may be null). */
  public FitResult fit(FitOptions options, Consumer<EpochReport> listener, StepListener steps) {
    return fit(options, listener, steps, null, null);
  }

  /**
   * As {@link #fit(FitOptions, Consumer, StepListener)}, continuing from {@code start} (a
   * checkpoint's state, whose parameters and optimizer state this trainer was built with; null
   * for a fresh run) and handing snapshots to {@code hook} (may be null). The epochs run are
   * those from the current step's epoch up to {@code start.firstEpoch() + options.epochs()}, so
   * a resumed run ends where the uninterrupted one would, with byte-identical parameters.
   *
   * @throws DivergenceException when a step's loss, gradient or parameters become non-finite
   */
  public FitResult fit(FitOptions options, Consumer<EpochReport> listener, StepListener steps, TrainingState start,
      CheckpointHook hook) {
    FitResult r;
    try {
      r = new FitLoop(this).run(options, listener, steps, start, hook);
    } catch (Throwable e) {
      JobFailures.cleanUpAfter(e, this::close);
      throw e;
    }
    close();
    return r;
  }

  /** Weights above {@code bytes} go in a broadcast of their own (tests: both ways give the same bits). */
  DistributedTrainer weightsInTaskBytes(long bytes) {
    this.weightsInTaskBytes = bytes;
    return this;
  }

  /** The current parameters: the array every step updates in place, not a copy. */
  float[] liveParams() { return params; }

  /** The optimizer's current state (replaced by a chunk of fused steps). */
  OptimizerState optimizerState() { return state; }
  TrainingSpec spec() { return spec; }
  String runName() { return runName; }
  JavaSparkContext sparkContext() { return sc; }
  PackedData data() { return data; }
  scala.collection.immutable.Seq<Object> stepPartitions() { return stepPartitions; }

  /** Takes over the optimizer state a chunk of fused steps ended with, and its last step's timings. */
  void adopt(OptimizerState s, StepStats last) {
    state = s;
    if (last != null) lastStats = last;
  }
}
