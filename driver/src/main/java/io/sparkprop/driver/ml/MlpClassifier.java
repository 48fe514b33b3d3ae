package io.sparkprop.driver.ml;

import io.sparkprop.datasets.Targets;
import io.sparkprop.trainer.nn.Head;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A Spark ML probabilistic classifier training a softmax MLP with Sparkprop's synchronous
 * data-parallel SGD. Usable in Pipelines and with CrossValidator, from Java, Scala and (by class
 * name) PySpark. Features: a vector column; label: class indices 0..k-1 (k = the last entry of
 * {@code layers}). Example weights are not taken here (use the CLI or DistributedTrainer).
 */
public final class MlpClassifier extends ProbabilisticClassifier<Vector, MlpClassifier, MlpClassificationModel>
    implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private final transient TrainParams tp;

  public MlpClassifier() {
    this(Uids.random("sparkprop_mlpc"));
  }

  public MlpClassifier(String uid) {
    this(Uids.park(uid));
  }

  private MlpClassifier(Uids.Parked parked) {
    super();
    this.uid = Uids.take();
    this.tp = new TrainParams(this);
    tp.setDefaults(this);
  }

  @Override
  public String uid() {
    return uid != null ? uid : Uids.pending();
  }

  public IntArrayParam layers() { return tp.layers; }
  public Param<String> activation() { return tp.activation; }
  public Param<String> init() { return tp.init; }
  public Param<String> optimizer() { return tp.optimizer; }
  public DoubleParam learningRate() { return tp.learningRate; }
  public DoubleParam weightDecay() { return tp.weightDecay; }
  public Param<String> schedule() { return tp.schedule; }
  public IntParam warmupSteps() { return tp.warmupSteps; }
  public IntParam batchSize() { return tp.batchSize; }
  public IntParam maxIter() { return tp.maxIter; }
  public LongParam seed() { return tp.seed; }
  public IntParam blockRows() { return tp.blockRows; }
  public IntParam numPartitions() { return tp.numPartitions; }
  public Param<String> weightCol() { return tp.weightCol; }
  public Param<String> validationIndicatorCol() { return tp.validationIndicatorCol; }
  public IntParam patience() { return tp.patience; }
  public Param<String> storageLevel() { return tp.storageLevel; }
  public Param<String> dataPlacement() { return tp.dataPlacement; }
  public Param<String> gradientReduce() { return tp.gradientReduce; }
  public IntParam stepsPerJob() { return tp.stepsPerJob; }
  public Param<String> checkpointDir() { return tp.checkpointDir; }
  public IntParam checkpointInterval() { return tp.checkpointInterval; }

  public MlpClassifier setLayers(int[] v) { return (MlpClassifier) set(tp.layers, v); }
  public MlpClassifier setActivation(String v) { return (MlpClassifier) set(tp.activation, v); }
  public MlpClassifier setInit(String v) { return (MlpClassifier) set(tp.init, v); }
  public MlpClassifier setOptimizer(String v) { return (MlpClassifier) set(tp.optimizer, v); }
  public MlpClassifier setLearningRate(double v) { return (MlpClassifier) set(tp.learningRate, v); }
  public MlpClassifier setWeightDecay(double v) { return (MlpClassifier) set(tp.weightDecay, v); }
  public MlpClassifier setSchedule(String v) { return (MlpClassifier) set(tp.schedule, v); }
  public MlpClassifier setWarmupSteps(int v) { return (MlpClassifier) set(tp.warmupSteps, v); }
  public MlpClassifier setBatchSize(int v) { return (MlpClassifier) set(tp.batchSize, v); }
  public MlpClassifier setMaxIter(int v) { return (MlpClassifier) set(tp.maxIter, v); }
  public MlpClassifier setSeed(long v) { return (MlpClassifier) set(tp.seed, v); }
  public MlpClassifier setBlockRows(int v) { return (MlpClassifier) set(tp.blockRows, v); }
  public MlpClassifier setNumPartitions(int v) { return (MlpClassifier) set(tp.numPartitions, v); }
  public MlpClassifier setWeightCol(String v) { return (MlpClassifier) set(tp.weightCol, v); }
  public MlpClassifier setValidationIndicatorCol(String v) { return (MlpClassifier) set(tp.validationIndicatorCol, v); }
  public MlpClassifier setPatience(int v) { return (MlpClassifier) set(tp.patience, v); }
  public MlpClassifier setStorageLevel(String v) { return (MlpClassifier) set(tp.storageLevel, v); }
  public MlpClassifier setDataPlacement(String v) { return (MlpClassifier) set(tp.dataPlacement, v); }
  public MlpClassifier setGradientReduce(String v) { return (MlpClassifier) set(tp.gradientReduce, v); }
  public MlpClassifier setStepsPerJob(int v) { return (MlpClassifier) set(tp.stepsPerJob, v); }
  public MlpClassifier setCheckpointDir(String v) { return (MlpClassifier) set(tp.checkpointDir, v); }
  public MlpClassifier setCheckpointInterval(int v) { return (MlpClassifier) set(tp.checkpointInterval, v); }
  /** MLlib's name for the learning rate. */
  public MlpClassifier setStepSize(double v) { return setLearningRate(v); }

  @Override
  public MlpClassificationModel train(Dataset<?> dataset) {
    int k = getNumClasses(dataset, 1 << 20);
    Row first = dataset.select(getFeaturesCol()).first();
    int d = ((Vector) first.get(0)).size();
    TrainParams.Fitted fit = tp.fit(this, dataset, getFeaturesCol(), getLabelCol(), Head.SOFTMAX_CROSS_ENTROPY, Targets.classes(k), d);
    float[] params = fit.result().params();
    MlpClassificationModel model = new MlpClassificationModel(uid, tp.network(this, Head.SOFTMAX_CROSS_ENTROPY, d, k), params);
    model.summary = new TrainingSummary(fit, true);
    return model;
  }

  @Override
  public MlpClassifier copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<MlpClassifier> read() {
    return new DefaultParamsReadable<MlpClassifier>() {}.read();
  }

  public static MlpClassifier load(String path) {
    return read().load(path);
  }
}
