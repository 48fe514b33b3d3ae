package io.sparkprop.driver.ml;

import io.sparkprop.datasets.Targets;
import io.sparkprop.trainer.nn.Head;
import org.apache.spark.ml.Predictor;
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
 * A Spark ML regressor training an MLP with one linear output and squared error, with Sparkprop's
 * synchronous data-parallel SGD (the last entry of {@code layers} must be 1). Usable in Pipelines
 * and with CrossValidator. Example weights are not taken here (use the CLI or DistributedTrainer).
 */
public final class MlpRegressor extends Predictor<Vector, MlpRegressor, MlpRegressionModel>
    implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private final transient TrainParams tp;

  public MlpRegressor() {
    this(Uids.random("sparkprop_mlpr"));
  }

  public MlpRegressor(String uid) {
    this(Uids.park(uid));
  }

  private MlpRegressor(Uids.Parked parked) {
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

  public MlpRegressor setLayers(int[] v) { return (MlpRegressor) set(tp.layers, v); }
  public MlpRegressor setActivation(String v) { return (MlpRegressor) set(tp.activation, v); }
  public MlpRegressor setInit(String v) { return (MlpRegressor) set(tp.init, v); }
  public MlpRegressor setOptimizer(String v) { return (MlpRegressor) set(tp.optimizer, v); }
  public MlpRegressor setLearningRate(double v) { return (MlpRegressor) set(tp.learningRate, v); }
  public MlpRegressor setWeightDecay(double v) { return (MlpRegressor) set(tp.weightDecay, v); }
  public MlpRegressor setSchedule(String v) { return (MlpRegressor) set(tp.schedule, v); }
  public MlpRegressor setWarmupSteps(int v) { return (MlpRegressor) set(tp.warmupSteps, v); }
  public MlpRegressor setBatchSize(int v) { return (MlpRegressor) set(tp.batchSize, v); }
  public MlpRegressor setMaxIter(int v) { return (MlpRegressor) set(tp.maxIter, v); }
  public MlpRegressor setSeed(long v) { return (MlpRegressor) set(tp.seed, v); }
  public MlpRegressor setBlockRows(int v) { return (MlpRegressor) set(tp.blockRows, v); }
  public MlpRegressor setNumPartitions(int v) { return (MlpRegressor) set(tp.numPartitions, v); }
  public MlpRegressor setWeightCol(String v) { return (MlpRegressor) set(tp.weightCol, v); }
  public MlpRegressor setValidationIndicatorCol(String v) { return (MlpRegressor) set(tp.validationIndicatorCol, v); }
  public MlpRegressor setPatience(int v) { return (MlpRegressor) set(tp.patience, v); }
  public MlpRegressor setStorageLevel(String v) { return (MlpRegressor) set(tp.storageLevel, v); }
  public MlpRegressor setDataPlacement(String v) { return (MlpRegressor) set(tp.dataPlacement, v); }
  public MlpRegressor setGradientReduce(String v) { return (MlpRegressor) set(tp.gradientReduce, v); }
  public MlpRegressor setStepsPerJob(int v) { return (MlpRegressor) set(tp.stepsPerJob, v); }
  public MlpRegressor setCheckpointDir(String v) { return (MlpRegressor) set(tp.checkpointDir, v); }
  public MlpRegressor setCheckpointInterval(int v) { return (MlpRegressor) set(tp.checkpointInterval, v); }
  /** MLlib's name for the learning rate. */
  public MlpRegressor setStepSize(double v) { return setLearningRate(v); }

  @Override
  public MlpRegressionModel train(Dataset<?> dataset) {
    Row first = dataset.select(getFeaturesCol()).first();
    int d = ((Vector) first.get(0)).size();
    TrainParams.Fitted fit = tp.fit(this, dataset, getFeaturesCol(), getLabelCol(), Head.LINEAR_SQUARED_ERROR, Targets.regression(1), d);
    float[] params = fit.result().params();
    MlpRegressionModel model = new MlpRegressionModel(uid, tp.network(this, Head.LINEAR_SQUARED_ERROR, d, 1), params);
    model.summary = new TrainingSummary(fit, false);
    return model;
  }

  @Override
  public MlpRegressor copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<MlpRegressor> read() {
    return new DefaultParamsReadable<MlpRegressor>() {}.read();
  }

  public static MlpRegressor load(String path) {
    return read().load(path);
  }
}
