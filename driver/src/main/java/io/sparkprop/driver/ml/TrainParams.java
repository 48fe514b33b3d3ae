package io.sparkprop.driver.ml;

import io.sparkprop.datasets.DataFrameSource;
import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.Targets;
import io.sparkprop.driver.checkpoint.CheckpointStore;
import io.sparkprop.driver.checkpoint.Checkpointer;
import io.sparkprop.driver.checkpoint.RunIdentity;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.loop.DistributedTrainer;
import io.sparkprop.driver.loop.FitOptions;
import io.sparkprop.driver.loop.TrainingState;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.LrSchedule;
import io.sparkprop.trainer.optim.Optimizer;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import org.apache.spark.sql.Dataset;
import org.apache.spark.storage.StorageLevel;

/**
 * The training Params both estimators carry (their public accessors make Spark see them), with
 * validators, defaults, and the conversion of their values into a {@link TrainingSpec}.
 */
final class TrainParams {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrainParams.class);
  final IntArrayParam layers;
  final Param<String> activation;
  final Param<String> init;
  final Param<String> optimizer;
  final DoubleParam learningRate;
  final DoubleParam weightDecay;
  final Param<String> schedule;
  final IntParam warmupSteps;
  final IntParam batchSize;
  final IntParam maxIter;
  final LongParam seed;
  final IntParam blockRows;
  final IntParam numPartitions;
  final Param<String> weightCol;
  final Param<String> validationIndicatorCol;
  final IntParam patience;
  final Param<String> storageLevel;
  final Param<String> dataPlacement;
  final Param<String> gradientReduce;
  final IntParam stepsPerJob;
  final Param<String> checkpointDir;
  final IntParam checkpointInterval;

  /** Params that may change between an interrupted fit and the fit that resumes it (as the CLI's resumable keys). */
  static final java.util.Set<String> RESUMABLE = java.util.Set.of("maxIter", "numPartitions", "storageLevel", "dataPlacement",
      "gradientReduce", "stepsPerJob", "checkpointDir", "checkpointInterval");

  TrainParams(Params owner) {
    String uid = owner.uid();
    layers = new IntArrayParam(owner, "layers", "layer sizes from input to output, e.g. [784, 256, 128, 10]",
        (int[] a) -> a.length >= 2 && Arrays.stream(a).allMatch(v -> v >= 1));
    activation = new Param<>(uid, "activation", "hidden activation: sigmoid, tanh, relu, leaky-relu(SLOPE), identity, softplus, gelu",
        (String s) -> valid(() -> Activation.parse(s)));
    init = new Param<>(uid, "init", "weight init: normal(SIGMA), xavier-uniform, xavier-normal, he-normal, he-uniform, mllib-uniform",
        (String s) -> valid(() -> Init.parse(s)));
    optimizer = new Param<>(uid, "optimizer", "sgd, momentum, nesterov, adam, adamw", (String s) -> valid(() -> Optimizer.parseKind(s)));
    learningRate = new DoubleParam(uid, "learningRate", "base learning rate (> 0)", ParamValidators.gt(0));
    weightDecay = new DoubleParam(uid, "weightDecay", "L2 weight decay (>= 0)", ParamValidators.gtEq(0));
    schedule = new Param<>(uid, "schedule", "learning-rate schedule: constant or cosine (over the whole run)",
        (String s) -> s.equals("constant") || s.equals("cosine"));
    warmupSteps = new IntParam(uid, "warmupSteps", "linear warmup steps (>= 0)", ParamValidators.gtEq(0));
    batchSize = new IntParam(uid, "batchSize", "global minibatch size (>= 1)", ParamValidators.gtEq(1));
    maxIter = new IntParam(uid, "maxIter", "epochs (>= 1)", ParamValidators.gtEq(1));
    seed = new LongParam(uid, "seed", "seed of the initial weights and the shuffles");
    blockRows = new IntParam(uid, "blockRows", "rows per GEMM block (>= 1)", ParamValidators.gtEq(1));
    numPartitions = new IntParam(uid, "numPartitions", "training partitions (0: Spark's default parallelism)", ParamValidators.gtEq(0));
    weightCol = new Param<>(uid, "weightCol", "example weight column (empty: every example weighs 1)", (String s) -> s != null);
    validationIndicatorCol = new Param<>(uid, "validationIndicatorCol",
        "boolean column marking validation rows (held out of training, evaluated every epoch; empty: none)", (String s) -> s != null);
    patience = new IntParam(uid, "patience", "with validationIndicatorCol: stop after this many epochs without improvement (0: never)",
        ParamValidators.gtEq(0));
    storageLevel = new Param<>(uid, "storageLevel", "storage level of the packed training data, e.g. MEMORY_AND_DISK, MEMORY_ONLY",
        (String s) -> valid(() -> StorageLevel.fromString(s)));
    dataPlacement = new Param<>(uid, "dataPlacement", "where executors keep the packed training data: memory, disk "
        + "(memory-mapped local files, for data larger than the executors' memory) or auto (memory when it takes at most half "
        + "of the storage memory)", (String s) -> valid(() -> io.sparkprop.driver.data.Placement.parse(s)));
    gradientReduce = new Param<>(uid, "gradientReduce", "who adds the partitions' gradients: driver, executors (a reduce-scatter "
        + "through the block managers; the driver takes in one gradient per step) or auto",
        (String s) -> valid(() -> io.sparkprop.driver.loop.DistributedTrainer.Reduce.parse(s)));
    stepsPerJob = new IntParam(uid, "stepsPerJob", "when one task computes the whole batch (local mode), steps run by one Spark job: "
        + "0 up to an epoch, 1 one job per step, K up to K (the same weights either way)", ParamValidators.gtEq(0));
    checkpointDir = new Param<>(uid, "checkpointDir", "folder (any Hadoop path) for checkpoints of the fit; a fit with the same "
        + "Params and data resumes from the newest one there, byte-identical to an uninterrupted fit (empty: no checkpoints)",
        (String s) -> s != null);
    checkpointInterval = new IntParam(uid, "checkpointInterval", "with checkpointDir: checkpoint every this many steps (>= 1), or "
        + "-1 at the end of every epoch", (Object i) -> (Integer) i == -1 || (Integer) i >= 1);
  }

  private static boolean valid(Runnable parse) {
    try {
      parse.run();
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  void setDefaults(Params p) {
    p.setDefault(activation, "relu");
    p.setDefault(init, "he-normal");
    p.setDefault(optimizer, "adam");
    p.setDefault(learningRate, 0.001);
    p.setDefault(weightDecay, 0.0);
    p.setDefault(schedule, "constant");
    p.setDefault(warmupSteps, 0);
    p.setDefault(batchSize, 256);
    p.setDefault(maxIter, 10);
    p.setDefault(seed, 1L);
    p.setDefault(blockRows, 256);
    p.setDefault(numPartitions, 0);
    p.setDefault(weightCol, "");
    p.setDefault(validationIndicatorCol, "");
    p.setDefault(patience, 0);
    p.setDefault(storageLevel, "MEMORY_AND_DISK");
    p.setDefault(dataPlacement, "auto");
    p.setDefault(gradientReduce, "auto");
    p.setDefault(stepsPerJob, 0);
    p.setDefault(checkpointDir, "");
    p.setDefault(checkpointInterval, -1);
  }

  NetworkSpec network(Params p, Head head, int features, int outputs) {
    if (!p.isDefined(layers)) {
      throw new IllegalArgumentException("set layers, e.g. setLayers(new int[] {" + features + ", 64, " + outputs + "})");
    }
    int[] sizes = p.getOrDefault(layers);
    if (sizes[0] != features) {
      throw new IllegalArgumentException("layers " + Arrays.toString(sizes) + " start with " + sizes[0] + " inputs but the features column has "
          + features);
    }
    if (sizes[sizes.length - 1] != outputs) {
      throw new IllegalArgumentException("layers " + Arrays.toString(sizes) + " end with " + sizes[sizes.length - 1] + " outputs but the data need "
          + outputs);
    }
    return NetworkSpec.of(sizes, Activation.parse(p.getOrDefault(activation)), head);
  }

  /** A fit's result, and the checkpoint it resumed from (null and -1 when it started fresh). */
  record Fitted(io.sparkprop.driver.loop.FitResult result, String resumedFrom, long resumedStep) {}

  /** Trains on the (features, label) columns; returns the final parameters and the history. */
  Fitted fit(Params p, Dataset<?> data, String featuresCol, String labelCol, Head head, Targets targets, int features) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
    NetworkSpec net = network(p, head, features, head == Head.LINEAR_SQUARED_ERROR ? 1 : targets.width());
    String w = p.getOrDefault(weightCol);
    String v = p.getOrDefault(validationIndicatorCol);
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> all = data.toDF();
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> trainRows = v.isEmpty() ? all : all.filter(org.apache.spark.sql.functions.not(
        org.apache.spark.sql.functions.col(v)));
    DataFrameSource.Options source = new DataFrameSource.Options(featuresCol, labelCol, w.isEmpty() ? null : w, targets,
        io.sparkprop.datasets.BadRows.FAIL);
    ExampleSet set = DataFrameSource.from(trainRows, source);
    int parts = ((Integer) p.getOrDefault(numPartitions));
    if (parts == 0) parts = sc.defaultParallelism();
    if (set.blocks().getNumPartitions() > parts) set = set.withBlocks(set.blocks().coalesce(parts), set.description());
    StorageLevel level = StorageLevel.fromString(p.getOrDefault(storageLevel));
    io.sparkprop.driver.data.StorageBudget budget = io.sparkprop.driver.data.StorageBudget.of(sc.sc());
    io.sparkprop.driver.data.Placement placement = io.sparkprop.driver.data.Placement.parse(p.getOrDefault(dataPlacement));
    io.sparkprop.driver.data.DataCheck.Placed placed = io.sparkprop.driver.data.DataCheck.checkPlaced(set, net, "training", placement, budget);
    PackedData packed;
    try {
      // the schedule's length is unknown until the rows are counted; the warm-up's steps do not depend on it
      packed = PackedData.pack(placed.set(), net, level, placed.placement(), 64L << 20,
          PackedData.autoThreadsPerTask(sc.sc()), io.sparkprop.driver.loop.ExecutorPreparations.forTraining(spec(p, net, 1)));
    } finally {
      io.sparkprop.driver.data.DataCheck.release(placed.set());
    }
    PackedData validation = null;
    if (!v.isEmpty()) {
      io.sparkprop.driver.data.DataCheck.Placed vp = io.sparkprop.driver.data.DataCheck.checkPlaced(DataFrameSource.from(
          all.filter(org.apache.spark.sql.functions.col(v)), source), net, "validation", placement, budget);
      try {
        validation = PackedData.pack(vp.set(), net, level, vp.placement(), 64L << 20, PackedData.autoThreadsPerTask(sc.sc()),
            io.sparkprop.driver.loop.ExecutorPreparations.forEvaluation());
      } catch (Exception e) { // SparkException included
        io.sparkprop.driver.failure.JobFailures.cleanUpAfter(e, packed::unpersist);
        throw e;
      } finally {
        io.sparkprop.driver.data.DataCheck.release(vp.set());
      }
    }
    try {
      int batch = ((Integer) p.getOrDefault(batchSize));
      int epochs = ((Integer) p.getOrDefault(maxIter));
      TrainingSpec spec = spec(p, net, (packed.rows() + batch - 1) / batch * epochs);
      budget.checkStepFits(spec);
      FitOptions options = new FitOptions(epochs, validation, 1, ((Integer) p.getOrDefault(patience)));
      String dir = p.getOrDefault(checkpointDir);
      if (dir.isEmpty()) return new Fitted(trainer(sc, spec, packed, p, null).fit(options, null), null, -1);
      CheckpointStore store = new CheckpointStore(dir, sc.hadoopConfiguration(), 3);
      RunIdentity identity = new RunIdentity(runDefining(p, head), packed.fingerprint(), packed.blockCount(), net.paramCount(),
          net.paramCount() * spec.optimizer().slotsPerParam());
      CheckpointStore.Loaded c = store.resumable(identity, LOG::warn, "Set checkpointDir to a new folder, or empty " + dir + " to start over");
      DistributedTrainer t = trainer(sc, spec, packed, p, c == null ? null : c.state());
      TrainingState start = c != null ? c.state() : TrainingState.start(t.params(), t.state());
      if (c != null) LOG.info("{}: resuming from {} (global step {})", p.uid(), c.path(), start.step());
      int every = (Integer) p.getOrDefault(checkpointInterval);
      try (Checkpointer checkpointer = new Checkpointer(store, identity, every > 0 ? every : 0, 0, start, c == null ? null : c.path())) {
        return new Fitted(t.fit(options, null, null, start, checkpointer), c == null ? null : c.path(), c == null ? -1 : start.step());
      }
    } finally {
      packed.unpersist();
      if (validation != null) validation.unpersist();
    }
  }

  private DistributedTrainer trainer(JavaSparkContext sc, TrainingSpec spec, PackedData packed, Params p, TrainingState from) {
    DistributedTrainer t = from == null ? new DistributedTrainer(sc, spec, packed, p.uid())
        : new DistributedTrainer(sc, spec, packed, p.uid(), from.params(), from.optimizer());
    return t.reduce(io.sparkprop.driver.loop.DistributedTrainer.Reduce.parse(p.getOrDefault(gradientReduce)))
        .stepsPerJob((Integer) p.getOrDefault(stepsPerJob));
  }

  /** What a checkpoint must match: every training Param that defines the arithmetic, by name, and the output head. */
  private java.util.SortedMap<String, String> runDefining(Params p, Head head) {
    java.util.TreeMap<String, String> out = new java.util.TreeMap<>();
    out.put("head", head.configName());
    for (org.apache.spark.ml.param.Param<?> param : all()) {
      if (RESUMABLE.contains(param.name()) || !p.isDefined(param)) continue;
      Object v = p.getOrDefault(param);
      out.put(param.name(), v instanceof int[] a ? Arrays.toString(a) : String.valueOf(v));
    }
    return out;
  }

  private List<org.apache.spark.ml.param.Param<?>> all() {
    return List.of(layers, activation, init, optimizer, learningRate, weightDecay, schedule, warmupSteps, batchSize, maxIter, seed,
        blockRows, numPartitions, weightCol, validationIndicatorCol, patience, storageLevel, dataPlacement, gradientReduce,
        stepsPerJob, checkpointDir, checkpointInterval);
  }

  /** The training spec of the params {@code p} for a run of {@code steps} steps in all (the schedule's length). */
  private TrainingSpec spec(Params p, NetworkSpec net, long steps) {
    int warm = ((Integer) p.getOrDefault(warmupSteps));
    LrSchedule s = p.getOrDefault(schedule).equals("cosine") ? LrSchedule.cosine(Math.max(1, steps - warm), 0.0) : LrSchedule.constant();
    Optimizer o = Optimizer.of(Optimizer.parseKind(p.getOrDefault(optimizer)), ((Double) p.getOrDefault(learningRate)))
        .withWeightDecay(((Double) p.getOrDefault(weightDecay))).withSchedule(warm > 0 ? s.withWarmup(warm) : s);
    return new TrainingSpec(net, Init.parse(p.getOrDefault(init)), o, ((Integer) p.getOrDefault(batchSize)), false,
        ((Long) p.getOrDefault(seed)), ((Integer) p.getOrDefault(blockRows)));
  }
}
