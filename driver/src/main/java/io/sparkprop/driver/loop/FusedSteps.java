package io.sparkprop.driver.loop;

import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.batch.BatchPlan;
import io.sparkprop.trainer.data.RowSource;
import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.optim.OptimizerState;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Several consecutive steps in one Spark job, for the case where one task computes the whole
 * global batch (local mode's default layout, or one executor running one task): there is then
 * nothing to add across tasks, so the task applies the optimizer itself after each step, with the
 * driver's code ({@code Optimizer.stepFromSum}) on the driver's numbers (the same gradient sum,
 * the same double loss and weight), and returns the parameters, optimizer state and per-step sums
 * at the end of the chunk. The weights are bitwise those of one job per step; what goes is one
 * Spark job's scheduling, task launch, broadcast and result round trip per step.
 *
 * <p>Wire form of the task's result, little-endian: steps done (int), then per step loss and
 * weight (double), count, gradient and update nanoseconds (long); the divergence (int kind: -1
 * none, 0 loss, 1 gradient entry, 2 parameter; int index; double value); the optimizer's step and
 * prior steps (long), then the parameters and the optimizer slots (float32). The state is that
 * before a step whose loss or gradient was not finite, and after the update that made a
 * parameter non-finite: where the per-step loop leaves it.
 *
 * <p>With a local master the task runs in the driver's JVM, and the state goes by reference
 * instead ({@link Handoff}): no broadcast of the start state and no floats in the result, whose
 * bytes then end after the prior steps. The weights are the same bits either way.
 */
final class FusedSteps extends AbstractFunction2<TaskContext, Iterator<RowSource>, byte[]> implements Serializable {
  private static final long serialVersionUID = 1L;
  static final int NONE = -1;
  static final int LOSS = 0;
  static final int GRADIENT = 1;
  static final int PARAMETER = 2;

  private final Broadcast<byte[]> start;
  private final long handoff;
  private final TrainingSpec spec;
  private final BatchPlan plan;
  private final int steps;

  /**
   * @param start the parameters and optimizer state to start from ({@link #encodeState})
   * @param steps how many steps to run, all inside one epoch
   */
  FusedSteps(Broadcast<byte[]> start, TrainingSpec spec, BatchPlan plan, int steps) {
    this(Objects.requireNonNull(start, "start"), 0, spec, plan, steps);
  }

  /** As {@link #FusedSteps(Broadcast, TrainingSpec, BatchPlan, int)}, the state passed by reference in this JVM. */
  FusedSteps(Handoff start, TrainingSpec spec, BatchPlan plan, int steps) {
    this(null, start.id, spec, plan, steps);
  }

  private FusedSteps(Broadcast<byte[]> start, long handoff, TrainingSpec spec, BatchPlan plan, int steps) {
    this.start = start;
    this.handoff = handoff;
    this.spec = spec;
    this.plan = plan;
    this.steps = steps;
  }

  /**
   * A chunk's start and end state passed by reference between the driver's thread and the task,
   * when both are in one JVM (a local master). The task copies the start state before its first
   * step, so the driver's arrays are never written by a task (not even one still running after
   * its job was cancelled), and leaves its end state here for the driver. What it saves against
   * the broadcast and the result's bytes (the parameters and optimizer state, 1.4 MB for the
   * shipped Fashion-MNIST network under Adam): encoding and broadcasting the state, the task's
   * decoding, and the serialization, copies and decoding of the result (docs/benchmarks.md).
   * Open until the driver closes it after the job, so a retried task
   * ({@code local[N,F]}) starts from the same state.
   */
  static final class Handoff implements AutoCloseable {
    private static final java.util.concurrent.atomic.AtomicLong NEXT = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.ConcurrentHashMap<Long, Handoff> OPEN = new java.util.concurrent.ConcurrentHashMap<>();
    final long id;
    private final float[] params;
    private final OptimizerState state;
    private volatile float[] endParams;
    private volatile OptimizerState endState;

    private Handoff(long id, float[] params, OptimizerState state) {
      this.id = id;
      this.params = params;
      this.state = state;
    }

    /** Opens a handoff of {@code params} and {@code state} (not copied: the task copies them). */
    static Handoff open(float[] params, OptimizerState state) {
      Handoff h = new Handoff(NEXT.incrementAndGet(), Objects.requireNonNull(params, "params"), Objects.requireNonNull(state, "state"));
      OPEN.put(h.id, h);
      return h;
    }

    /** The open handoff {@code id}; a task that finds none ran outside the driver's JVM or after its job. */
    static Handoff of(long id) {
      Handoff h = OPEN.get(id);
      if (h == null) {
        throw new IllegalStateException("chunk state " + id + " is not open in this JVM: a task of a local master's training ran "
            + "outside the driver's JVM, or after its job ended");
      }
      return h;
    }

    /** How many handoffs are open in this JVM (tests: none after a run). */
    static int openCount() {
      return OPEN.size();
    }

    @Override
    public void close() {
      OPEN.remove(id);
    }
  }

  /** Parameters and optimizer state as one byte array: step, prior steps, parameter and slot counts, floats. */
  static byte[] encodeState(float[] params, OptimizerState state) {
    float[] slots = state.snapshot();
    ByteBuffer b = ByteBuffer.allocate(8 + 8 + 4 + 4 + 4 * (params.length + slots.length)).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(state.step()).putLong(state.priorSteps()).putInt(params.length).putInt(slots.length);
    b.asFloatBuffer().put(params).put(slots);
    return b.array();
  }

  @Override
  public byte[] apply(TaskContext ctx, Iterator<RowSource> it) {
    EngineWarmup.stop(); // training has started: the cores are its
    List<RowSource> blocks = new ArrayList<>(1);
    while (it.hasNext()) blocks.add(it.next());
    Handoff byReference = start == null ? Handoff.of(handoff) : null;
    float[] params;
    OptimizerState state;
    if (byReference != null) {
      params = byReference.params.clone();
      state = byReference.state.copy();
    } else {
      ByteBuffer in = ByteBuffer.wrap(start.value()).order(ByteOrder.LITTLE_ENDIAN);
      long step = in.getLong();
      long prior = in.getLong();
      params = new float[in.getInt()];
      float[] slots = new float[in.getInt()];
      in.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(params).get(slots);
      state = OptimizerState.restore(step, slots, prior);
    }
    Steps r = run(ctx, spec, plan, blocks, params, state, steps);
    int done = r.done;
    float[] outSlots = byReference != null ? null : state.snapshot(); // by reference: no floats in the bytes
    int floats = outSlots == null ? 0 : params.length + outSlots.length;
    ByteBuffer out = ByteBuffer.allocate(4 + done * 40 + 16 + 16 + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(done).put(r.sums.array(), 0, done * 40).putInt(r.kind).putInt(r.index).putDouble(r.value);
    out.putLong(state.step()).putLong(state.priorSteps());
    if (byReference != null) {
      byReference.endParams = params;
      byReference.endState = state; // published by the volatile write, read by the driver after the job
    } else {
      out.asFloatBuffer().put(params).put(outSlots);
    }
    return out.array();
  }

  /** What {@link #run} did: the steps done, their sums (the result's per-step part) and the divergence, if any. */
  static final class Steps {
    final ByteBuffer sums;
    int done;
    int kind = NONE;
    int index = -1;
    double value;

    Steps(int steps) {
      sums = ByteBuffer.allocate(steps * (8 * 5)).order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  /**
   * Runs {@code steps} steps from {@code state}'s step on the task's {@code blocks}, updating
   * {@code params} and {@code state} in place: the task's loop, which {@link EngineWarmup} also
   * runs on synthetic blocks.
   *
   * @param ctx the task's context (null outside a task): a cancelled job stops between steps
   */
  static Steps run(TaskContext ctx, TrainingSpec spec, BatchPlan plan, List<RowSource> blocks, float[] params,
      OptimizerState state, int steps) {
    long step = state.step();
    int spe = plan.stepsPerEpoch();
    int epoch = Math.toIntExact(step / spe);
    int k0 = (int) (step % spe);
    if (k0 + steps > spe) throw new IllegalStateException("a chunk of " + steps + " steps from step " + k0 + " crosses the epoch's end (" + spe + ")");
    ExecutorState.Group group = ExecutorState.group(spec);
    io.sparkprop.trainer.optim.Ranges ranges = ExecutorState.ranges(blocks.size()); // the update on the task's threads too
    float[] zero = null;
    Steps r = new Steps(steps);
    for (; r.done < steps; r.done++) {
      if (ctx != null) ctx.killTaskIfInterrupted(); // a cancelled run stops between steps
      int k = k0 + r.done;
      long t0 = System.nanoTime();
      LossSum s = group.accumulate(blocks, (block, buf) -> ExecutorState.shardStep(spec).accumulate(params, block, plan, epoch, k, buf),
          ranges, true);
      float[] g = group.sum();
      if (g == null) { // no member of the batch: the driver's zero gradient and weight 0
        if (zero == null) zero = new float[params.length];
        g = zero;
      }
      long t1 = System.nanoTime();
      double loss = 0.0 + s.loss(); // as the driver's OrderedSum adds it
      double weight = 0.0 + s.weight();
      if (!Double.isFinite(loss)) {
        r.kind = LOSS;
        r.value = loss;
        break;
      }
      int bad = g == zero ? -1 : group.firstNonFiniteOfSum(ranges);
      if (bad >= 0) {
        r.kind = GRADIENT;
        r.index = bad;
        r.value = g[bad];
        break;
      }
      // the parameters' finite check runs on each slice right after the update wrote it
      ExecutorState.NonFiniteScan scan = new ExecutorState.NonFiniteScan(params);
      spec.optimizer().stepFromSum(params, g, weight, state, scan.after(ranges));
      long t2 = System.nanoTime();
      r.sums.putDouble(loss).putDouble(weight).putLong(s.count()).putLong(t1 - t0).putLong(t2 - t1);
      bad = scan.first();
      if (bad >= 0) {
        r.done++;
        r.kind = PARAMETER;
        r.index = bad;
        r.value = params[bad];
        break;
      }
    }
    return r;
  }

  /** A decoded chunk result. */
  static final class Result {
    final LossSum[] sums;
    final long[] gradNanos;
    final long[] updateNanos;
    final int kind;
    final int index;
    final double value;
    final float[] params;
    final OptimizerState state;

    /** @param byReference the chunk's handoff when its state went by reference, else null (the floats are in the bytes) */
    Result(byte[] bytes, int paramCount, int slotCount, Handoff byReference) {
      ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      int done = b.getInt();
      sums = new LossSum[done];
      gradNanos = new long[done];
      updateNanos = new long[done];
      for (int i = 0; i < done; i++) {
        sums[i] = new LossSum(b.getDouble(), b.getDouble(), b.getLong());
        gradNanos[i] = b.getLong();
        updateNanos[i] = b.getLong();
      }
      kind = b.getInt();
      index = b.getInt();
      value = b.getDouble();
      long step = b.getLong();
      long prior = b.getLong();
      if (byReference != null) {
        OptimizerState end = byReference.endState;
        float[] p = byReference.endParams;
        if (end == null || p == null || p.length != paramCount || end.slotLength() != slotCount || end.step() != step
            || end.priorSteps() != prior || b.hasRemaining()) {
          throw new IllegalStateException("a chunk's task left no end state of " + paramCount + " parameters and " + slotCount
              + " slots at step " + step + " beside its result");
        }
        params = p;
        state = end;
        return;
      }
      params = new float[paramCount];
      float[] slots = new float[slotCount];
      java.nio.FloatBuffer f = b.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      if (f.remaining() != paramCount + slotCount) {
        throw new IllegalStateException("a chunk returned " + f.remaining() + " values, expected " + (paramCount + slotCount));
      }
      f.get(params).get(slots);
      state = OptimizerState.restore(step, slots, prior);
    }
  }

  /** What one job of several steps did: the steps' sums and timings, and the divergence that ended it early, if any. */
  record Chunk(long firstStep, LossSum[] sums, StepStats[] stats, DivergenceException failure) {}

  /**
   * Runs {@code n} steps (inside the current epoch) as one Spark job ({@link FusedSteps}) and
   * takes over the parameters and optimizer state it ends with. A step whose loss, gradient or
   * new parameters are not finite ends the chunk; its {@link DivergenceException} is returned with
   * the steps before it, the state left as {@link DistributedTrainer#step()} leaves it.
   */
  static Chunk chunk(DistributedTrainer tr, int n) {
    JavaSparkContext sc = tr.sparkContext();
    float[] params = tr.liveParams();
    OptimizerState state = tr.optimizerState();
    BatchPlan plan = tr.plan();
    TrainingSpec spec = tr.spec();
    long t = state.step();
    int spe = plan.stepsPerEpoch();
    long t0 = System.nanoTime();
    sc.setJobGroup(tr.jobGroup(), "sparkprop run " + tr.runName(), true);
    sc.setJobDescription(tr.runName() + ": epoch " + t / spe + " steps " + t % spe + "-" + (t % spe + n - 1) + " (global steps "
        + t + "-" + (t + n - 1) + ", one task)");
    Handoff byReference = tr.stateByReference() ? Handoff.open(params, state) : null;
    Broadcast<byte[]> bc = byReference == null ? sc.sc().broadcast(encodeState(params, state), DistributedTrainer.PARAMS_TAG) : null;
    byte[][] out = new byte[1][];
    Result r;
    try {
      FusedSteps task = byReference != null ? new FusedSteps(byReference, spec, plan, n) : new FusedSteps(bc, spec, plan, n);
      sc.sc().runJob(tr.data().blocks(), task, tr.stepPartitions(), new AbstractFunction2<Object, byte[], BoxedUnit>() {
        @Override
        public BoxedUnit apply(Object part, byte[] b) {
          out[0] = b;
          return BoxedUnit.UNIT;
        }
      }, DistributedTrainer.STEP_TAG);
      r = new Result(out[0], params.length, state.slotLength(), byReference);
    } finally {
      if (bc != null) bc.destroy();
      if (byReference != null) byReference.close();
    }
    System.arraycopy(r.params, 0, params, 0, params.length);
    int done = r.sums.length;
    int clean = r.kind == PARAMETER ? done - 1 : done; // the step that broke the parameters is not reported
    long work = 0;
    for (int j = 0; j < done; j++) work += r.gradNanos[j] + r.updateNanos[j];
    long share = Math.max(0, System.nanoTime() - t0 - work) / Math.max(1, done);
    StepStats[] stats = new StepStats[clean];
    for (int j = 0; j < clean; j++) {
      long step = share + r.gradNanos[j] + r.updateNanos[j];
      stats[j] = new StepStats(step, step, r.gradNanos[j], r.updateNanos[j]);
    }
    tr.adopt(r.state, clean > 0 ? stats[clean - 1] : null);
    DivergenceException failure = switch (r.kind) {
      case LOSS -> DivergenceException.loss(t + done, r.value);
      case GRADIENT -> DivergenceException.gradient(t + done, r.index, (float) r.value);
      case PARAMETER -> DivergenceException.parameter(t + done - 1, r.index, (float) r.value);
      default -> null;
    };
    return new Chunk(t, java.util.Arrays.copyOf(r.sums, clean), stats, failure);
  }
}
