package io.sparkprop.driver.ml;

import io.sparkprop.datasets.DataFrameSource;
import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.Targets;
import io.sparkprop.driver.DistributedTrainer;
import io.sparkprop.driver.FitOptions;
import io.sparkprop.driver.PackedData;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.LrSchedule;
import io.sparkprop.trainer.optim.Optimizer;
import java.util.Arrays;
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
        + "of the storage memory)", (String s) -> valid(() -> io.sparkprop.driver.Placement.parse(s)));
    gradientReduce = new Param<>(uid, "gradientReduce", "who adds the partitions' gradients: driver, executors (a reduce-scatter "
        + "through the block managers; the driver takes in one gradient per step) or auto",
        (String s) -> valid(() -> io.sparkprop.driver.DistributedTrainer.Reduce.parse(s)));
    stepsPerJob = new IntParam(uid, "stepsPerJob", "when one task computes the whole batch (local mode), steps run by one Spark job: "
        + "0 up to an epoch, 1 one job per step, K up to K (the same weights either way)", ParamValidators.gtEq(0));
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

  /** Trains on the (features, label) columns; returns the final parameters and the history. */
  io.sparkprop.driver.FitResult fit(Params p, Dataset<?> data, String featuresCol, String labelCol, Head head, Targets targets, int features) {
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
    io.sparkprop.driver.StorageBudget budget = io.sparkprop.driver.StorageBudget.of(sc.sc());
    io.sparkprop.driver.Placement placement = io.sparkprop.driver.Placement.parse(p.getOrDefault(dataPlacement));
    io.sparkprop.driver.DataCheck.Placed placed = io.sparkprop.driver.DataCheck.checkPlaced(set, net, "training", placement, budget);
    PackedData packed;
    try {
      // the schedule's length is unknown until the rows are counted; the warm-up's steps do not depend on it
      packed = PackedData.packForTraining(placed.set(), spec(p, net, 1), level, placed.placement(), 64L << 20,
          PackedData.autoThreadsPerTask(sc.sc()));
    } finally {
      io.sparkprop.driver.DataCheck.release(placed.set());
    }
    PackedData validation = null;
    if (!v.isEmpty()) {
      io.sparkprop.driver.DataCheck.Placed vp = io.sparkprop.driver.DataCheck.checkPlaced(DataFrameSource.from(
          all.filter(org.apache.spark.sql.functions.col(v)), source), net, "validation", placement, budget);
      try {
        validation = PackedData.pack(vp.set(), net, level, vp.placement(), 64L << 20, PackedData.autoThreadsPerTask(sc.sc()));
      } catch (Exception e) { // SparkException included
        io.sparkprop.driver.JobFailures.cleanUpAfter(e, packed::unpersist);
        throw e;
      } finally {
        io.sparkprop.driver.DataCheck.release(vp.set());
      }
    }
    try {
      int batch = ((Integer) p.getOrDefault(batchSize));
      int epochs = ((Integer) p.getOrDefault(maxIter));
      TrainingSpec spec = spec(p, net, (packed.rows() + batch - 1) / batch * epochs);
      budget.checkStepFits(spec);
      DistributedTrainer t = new DistributedTrainer(sc, spec, packed, p.uid())
          .reduce(io.sparkprop.driver.DistributedTrainer.Reduce.parse(p.getOrDefault(gradientReduce)))
          .stepsPerJob((Integer) p.getOrDefault(stepsPerJob));
      return t.fit(new FitOptions(epochs, validation, 1, ((Integer) p.getOrDefault(patience))), null);
    } finally {
      packed.unpersist();
      if (validation != null) validation.unpersist();
    }
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
