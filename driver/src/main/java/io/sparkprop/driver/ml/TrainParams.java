package io.sparkprop.driver.ml;

import io.sparkprop.datasets.DataFrameSource;
import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.datasets.Targets;
import io.sparkprop.driver.checkpoint.RunIdentity;
import io.sparkprop.driver.data.DataCheck;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.data.Placement;
import io.sparkprop.driver.data.StorageBudget;
import io.sparkprop.driver.failure.JobFailures;
import io.sparkprop.driver.job.CheckpointedFit;
import io.sparkprop.driver.loop.DistributedTrainer;
import io.sparkprop.driver.loop.ExecutorPreparations;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  final Param<String> featureScaling;
  final Param<String> onDivergence;
  final IntParam maxRollbacks;
  final DoubleParam divergenceLrFactor;

  /** The estimators' names in messages about divergence, checkpoints and reruns. */
  private static final CheckpointedFit.Wording WORDING = new CheckpointedFit.Wording(
      "a lower learningRate (now %s), or onDivergence = rollback", "set checkpointDir",
      "Set checkpointDir to a new folder, or empty %s to start over", "fitting again with the same Params and data");

  /** Params that may change between an interrupted fit and the fit that resumes it (as the CLI's resumable keys). */
  static final java.util.Set<String> RESUMABLE = java.util.Set.of("maxIter", "numPartitions", "storageLevel", "dataPlacement",
      "gradientReduce", "stepsPerJob", "checkpointDir", "checkpointInterval", "onDivergence", "maxRollbacks", "divergenceLrFactor");

  TrainParams(Params owner) {
    String uid = owner.uid();
    layers = new IntArrayParam(owner, "layers", "layer sizes from input to output, e.g. [784, 256, 128, 10]",
        check("layers", "needs at least an input and an output size, each >= 1",
            (int[] a) -> a.length >= 2 && Arrays.stream(a).allMatch(v -> v >= 1)));
    activation = new Param<>(uid, "activation", "hidden activation: sigmoid, tanh, relu, leaky-relu(SLOPE), identity, softplus, gelu",
        (String s) -> valid("activation", s, () -> Activation.parse(s)));
    init = new Param<>(uid, "init", "weight init: normal(SIGMA), xavier-uniform, xavier-normal, he-normal, he-uniform, mllib-uniform",
        (String s) -> valid("init", s, () -> Init.parse(s)));
    optimizer = new Param<>(uid, "optimizer", "sgd, momentum, nesterov, adam, adamw, lamb (layer-wise trust ratios, for large batches)", (String s) -> valid("optimizer", s, () -> Optimizer.parseKind(s)));
    learningRate = new DoubleParam(uid, "learningRate", "base learning rate (> 0)", check("learningRate", "must be > 0", ParamValidators.gt(0)));
    weightDecay = new DoubleParam(uid, "weightDecay", "L2 weight decay (>= 0)", check("weightDecay", "must be >= 0", ParamValidators.gtEq(0)));
    schedule = new Param<>(uid, "schedule", "learning-rate schedule: constant or cosine (over the whole run)",
        (String s) -> oneOf("schedule", s, "constant", "cosine"));
    warmupSteps = new IntParam(uid, "warmupSteps", "linear warmup steps (>= 0)", check("warmupSteps", "must be >= 0", ParamValidators.gtEq(0)));
    batchSize = new IntParam(uid, "batchSize", "global minibatch size (>= 1)", check("batchSize", "must be >= 1", ParamValidators.gtEq(1)));
    maxIter = new IntParam(uid, "maxIter", "epochs (>= 1)", check("maxIter", "must be >= 1", ParamValidators.gtEq(1)));
    seed = new LongParam(uid, "seed", "seed of the initial weights and the shuffles");
    blockRows = new IntParam(uid, "blockRows", "rows per GEMM block (>= 1)", check("blockRows", "must be >= 1", ParamValidators.gtEq(1)));
    numPartitions = new IntParam(uid, "numPartitions", "training partitions (0: Spark's default parallelism)", check("numPartitions", "must be >= 0", ParamValidators.gtEq(0)));
    weightCol = new Param<>(uid, "weightCol", "example weight column (empty: every example weighs 1)", (String s) -> s != null);
    validationIndicatorCol = new Param<>(uid, "validationIndicatorCol",
        "boolean column marking validation rows (held out of training, evaluated every epoch; empty: none)", (String s) -> s != null);
    patience = new IntParam(uid, "patience", "with validationIndicatorCol: stop after this many epochs without improvement (0: never)",
        check("patience", "must be >= 0", ParamValidators.gtEq(0)));
    storageLevel = new Param<>(uid, "storageLevel", "storage level of the packed training data, e.g. MEMORY_AND_DISK, MEMORY_ONLY",
        (String s) -> valid("storageLevel", s, () -> StorageLevel.fromString(s)));
    dataPlacement = new Param<>(uid, "dataPlacement", "where executors keep the packed training data: memory, disk "
        + "(memory-mapped local files, for data larger than the executors' memory) or auto (memory when it takes at most half "
        + "of the storage memory)", (String s) -> valid("dataPlacement", s, () -> io.sparkprop.driver.data.Placement.parse(s)));
    gradientReduce = new Param<>(uid, "gradientReduce", "who adds the partitions' gradients: driver, executors (a reduce-scatter "
        + "through the block managers; the driver takes in one gradient per step) or auto",
        (String s) -> valid("gradientReduce", s, () -> io.sparkprop.driver.loop.DistributedTrainer.Reduce.parse(s)));
    stepsPerJob = new IntParam(uid, "stepsPerJob", "steps run by one Spark job: when one task computes the whole batch (local mode) "
        + "0 up to an epoch, K up to K; with several tasks on a cluster any value but 1 streams the steps through one job whose "
        + "tasks stay up (docs/cluster.md); 1 one job per step (the same weights either way)", check("stepsPerJob", "must be >= 0", ParamValidators.gtEq(0)));
    checkpointDir = new Param<>(uid, "checkpointDir", "folder (any Hadoop path) for checkpoints of the fit; a fit with the same "
        + "Params and data resumes from the newest one there, byte-identical to an uninterrupted fit (empty: no checkpoints)",
        (String s) -> s != null);
    checkpointInterval = new IntParam(uid, "checkpointInterval", "with checkpointDir: checkpoint every this many steps (>= 1), or "
        + "-1 at the end of every epoch", check("checkpointInterval", "must be -1 or >= 1", (Object i) -> (Integer) i == -1 || (Integer) i >= 1));
    featureScaling = new Param<>(uid, "featureScaling", "scaling fitted on the training rows and stored with the model, which "
        + "applies it to every row it predicts: none, standard (zero mean, unit variance) or min-max ([0, 1])",
        (String s) -> valid("featureScaling", s, () -> io.sparkprop.datasets.FeatureScaling.parseKind(s)));
    onDivergence = new Param<>(uid, "onDivergence", "when a step's loss, gradient or weights become non-finite: stop (the error "
        + "names the last good checkpoint) or rollback (continue from the last good state with the learning rate times "
        + "divergenceLrFactor, at most maxRollbacks times)", (String s) -> oneOf("onDivergence", s, "stop", "rollback"));
    maxRollbacks = new IntParam(uid, "maxRollbacks", "with onDivergence = rollback: rollbacks before giving up (>= 0)",
        check("maxRollbacks", "must be >= 0", ParamValidators.gtEq(0)));
    divergenceLrFactor = new DoubleParam(uid, "divergenceLrFactor", "with onDivergence = rollback: the learning rate's factor "
        + "after each rollback (in (0, 1))", check("divergenceLrFactor", "must be in (0, 1)", ParamValidators.inRange(0, 1, false, false)));
  }

  /**
   * A string Param's check: the parser's own message (which names the accepted values) with the
   * Param's name, instead of Spark's bare "given invalid value", for every client alike.
   */
  private static boolean valid(String name, String value, Runnable parse) {
    try {
      parse.run();
      return true;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " = \"" + value + "\": " + e.getMessage(), e);
    }
  }

  /** A numeric Param's check whose failure names the Param, the value and the rule. */
  private static <T> scala.Function1<T, Object> check(String name, String rule, scala.Function1<T, Object> valid) {
    return v -> {
      if ((Boolean) valid.apply(v)) return true;
      throw new IllegalArgumentException(name + " = " + (v instanceof int[] a ? Arrays.toString(a) : v) + ": " + rule);
    };
  }

  private static boolean oneOf(String name, String value, String... accepted) {
    if (Arrays.asList(accepted).contains(value)) return true;
    throw new IllegalArgumentException(name + " = \"" + value + "\": use one of " + String.join(", ", accepted));
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
    p.setDefault(featureScaling, "none");
    p.setDefault(onDivergence, "stop");
    p.setDefault(maxRollbacks, 3);
    p.setDefault(divergenceLrFactor, 0.5);
  }

  /**
   * The bytes of the model a fit of {@code p} makes, from {@code layers} alone; Spark's "cannot
   * estimate" ({@link UnsupportedOperationException}) while layers is unset.
   */
  long estimatedModelBytes(Params p) {
    if (!p.isDefined(layers)) throw new UnsupportedOperationException("layers is not set");
    int[] sizes = p.getOrDefault(layers);
    long count = 0;
    for (int l = 1; l < sizes.length; l++) count += (long) sizes[l - 1] * sizes[l] + sizes[l];
    return MlpPredictor.bytes(count, sizes[0]);
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

  /**
   * A fit's result, the checkpoint it resumed from (null and -1 when it started fresh), the
   * feature scaling fitted on the training rows, and the provenance the model keeps.
   */
  record Fitted(io.sparkprop.driver.loop.FitResult result, String resumedFrom, long resumedStep, FeatureScaling scaling,
      Map<String, String> provenance) {}

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
    StorageBudget budget = StorageBudget.of(sc.sc());
    Placement placement = Placement.parse(p.getOrDefault(dataPlacement));
    DataCheck.Placed placed = DataCheck.checkPlaced(set, net, "training", placement, budget);
    FeatureScaling scaling;
    PackedData packed;
    try {
      scaling = FeatureScaling.fit(FeatureScaling.parseKind(p.getOrDefault(featureScaling)), placed.set());
      io.sparkprop.driver.loop.DriverWarmup.startInBackground(sc, spec(p, net, 1));
      // the schedule's length is unknown until the rows are counted; the warm-up's steps do not depend on it
      packed = PackedData.pack(scaling.apply(placed.set()), net, level, placed.placement(), PackedData.DEFAULT_DISK_RESERVE,
          PackedData.autoThreadsPerTask(sc.sc()), ExecutorPreparations.forTraining(spec(p, net, 1)));
    } finally {
      DataCheck.release(placed.set());
    }
    PackedData validation = null;
    if (!v.isEmpty()) {
      DataCheck.Placed vp = DataCheck.checkPlaced(DataFrameSource.from(all.filter(org.apache.spark.sql.functions.col(v)), source),
          net, "validation", placement, budget);
      try {
        validation = PackedData.pack(scaling.apply(vp.set()), net, level, vp.placement(), PackedData.DEFAULT_DISK_RESERVE,
            PackedData.autoThreadsPerTask(sc.sc()), ExecutorPreparations.forEvaluation());
      } catch (Exception e) { // SparkException included
        JobFailures.cleanUpAfter(e, packed::unpersist);
        throw e;
      } finally {
        DataCheck.release(vp.set());
      }
    }
    try {
      int batch = ((Integer) p.getOrDefault(batchSize));
      int epochs = ((Integer) p.getOrDefault(maxIter));
      TrainingSpec spec = spec(p, net, (packed.rows() + batch - 1) / batch * epochs);
      budget.checkStepFits(spec);
      CheckpointedFit.Settings settings = new CheckpointedFit.Settings(p.uid(),
          new FitOptions(epochs, validation, 1, ((Integer) p.getOrDefault(patience))),
          DistributedTrainer.Reduce.parse(p.getOrDefault(gradientReduce)), (Integer) p.getOrDefault(stepsPerJob),
          p.getOrDefault(onDivergence).equals("rollback"), (Double) p.getOrDefault(divergenceLrFactor),
          (Integer) p.getOrDefault(maxRollbacks));
      String dir = p.getOrDefault(checkpointDir);
      int every = (Integer) p.getOrDefault(checkpointInterval);
      CheckpointedFit.Checkpoints checkpoints = dir.isEmpty() ? CheckpointedFit.Checkpoints.NONE
          : new CheckpointedFit.Checkpoints(dir, 3, every > 0 ? every : 0, 0);
      RunIdentity identity = new RunIdentity(runDefining(p, head), packed.fingerprint(), packed.blockCount(), net.paramCount(),
          net.paramCount() * spec.optimizer().slotsPerParam());
      CheckpointedFit.Start from = CheckpointedFit.start(sc, spec, packed, identity, checkpoints, WORDING, false,
          () -> TrainingState.start(spec.initialParams(), spec.optimizer().initialise(net.paramCount())),
          line -> LOG.info("{}: {}", p.uid(), line));
      CheckpointedFit.Outcome o = CheckpointedFit.run(sc, spec, packed, from, settings, WORDING, null, null, null);
      Map<String, String> provenance = new LinkedHashMap<>();
      provenance.put("run", p.uid());
      provenance.put("seed", Long.toString(spec.seed()));
      provenance.put("trainingRows", Long.toString(packed.rows()));
      provenance.put("trainingFingerprint", packed.fingerprint().toString());
      provenance.put("epochs", Integer.toString(o.result().history().size()));
      provenance.put("params", runDefining(p, head).toString());
      if (o.resumedFrom() != null) provenance.put("resumedFrom", o.resumedFrom());
      return new Fitted(o.result(), o.resumedFrom(), o.resumedStep(), scaling, provenance);
    } finally {
      packed.unpersist();
      if (validation != null) validation.unpersist();
    }
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
        stepsPerJob, checkpointDir, checkpointInterval, featureScaling, onDivergence, maxRollbacks, divergenceLrFactor);
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
