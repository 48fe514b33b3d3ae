package io.sparkprop.driver.ml;

import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The training Params that {@link MlpClassifier} and {@link MlpRegressor} share, with their
 * accessors (public, so that Spark ML finds them) and setters returning the estimator's own type.
 * Definitions, validators and defaults are in {@link TrainParams}.
 *
 * @param <T> the estimator
 */
public interface MlpParams<T extends MlpParams<T>> extends Params {
  /** The estimator's Param definitions (package-private type: not part of the API). */
  TrainParams trainParams();

  default IntArrayParam layers() { return trainParams().layers; }
  default Param<String> activation() { return trainParams().activation; }
  default Param<String> init() { return trainParams().init; }
  default Param<String> optimizer() { return trainParams().optimizer; }
  default DoubleParam learningRate() { return trainParams().learningRate; }
  default DoubleParam weightDecay() { return trainParams().weightDecay; }
  default Param<String> schedule() { return trainParams().schedule; }
  default IntParam warmupSteps() { return trainParams().warmupSteps; }
  default IntParam batchSize() { return trainParams().batchSize; }
  default IntParam maxIter() { return trainParams().maxIter; }
  default LongParam seed() { return trainParams().seed; }
  default IntParam blockRows() { return trainParams().blockRows; }
  default IntParam numPartitions() { return trainParams().numPartitions; }
  default Param<String> weightCol() { return trainParams().weightCol; }
  default Param<String> validationIndicatorCol() { return trainParams().validationIndicatorCol; }
  default IntParam patience() { return trainParams().patience; }
  default Param<String> storageLevel() { return trainParams().storageLevel; }
  default Param<String> dataPlacement() { return trainParams().dataPlacement; }
  default Param<String> gradientReduce() { return trainParams().gradientReduce; }
  default IntParam stepsPerJob() { return trainParams().stepsPerJob; }
  default Param<String> checkpointDir() { return trainParams().checkpointDir; }
  default IntParam checkpointInterval() { return trainParams().checkpointInterval; }
  default Param<String> featureScaling() { return trainParams().featureScaling; }
  default Param<String> onDivergence() { return trainParams().onDivergence; }
  default IntParam maxRollbacks() { return trainParams().maxRollbacks; }
  default DoubleParam divergenceLrFactor() { return trainParams().divergenceLrFactor; }

  default T setLayers(int[] v) { return self(set(trainParams().layers, v)); }
  default T setActivation(String v) { return self(set(trainParams().activation, v)); }
  default T setInit(String v) { return self(set(trainParams().init, v)); }
  default T setOptimizer(String v) { return self(set(trainParams().optimizer, v)); }
  default T setLearningRate(double v) { return self(set(trainParams().learningRate, v)); }
  default T setWeightDecay(double v) { return self(set(trainParams().weightDecay, v)); }
  default T setSchedule(String v) { return self(set(trainParams().schedule, v)); }
  default T setWarmupSteps(int v) { return self(set(trainParams().warmupSteps, v)); }
  default T setBatchSize(int v) { return self(set(trainParams().batchSize, v)); }
  default T setMaxIter(int v) { return self(set(trainParams().maxIter, v)); }
  default T setSeed(long v) { return self(set(trainParams().seed, v)); }
  default T setBlockRows(int v) { return self(set(trainParams().blockRows, v)); }
  default T setNumPartitions(int v) { return self(set(trainParams().numPartitions, v)); }
  default T setWeightCol(String v) { return self(set(trainParams().weightCol, v)); }
  default T setValidationIndicatorCol(String v) { return self(set(trainParams().validationIndicatorCol, v)); }
  default T setPatience(int v) { return self(set(trainParams().patience, v)); }
  default T setStorageLevel(String v) { return self(set(trainParams().storageLevel, v)); }
  default T setDataPlacement(String v) { return self(set(trainParams().dataPlacement, v)); }
  default T setGradientReduce(String v) { return self(set(trainParams().gradientReduce, v)); }
  default T setStepsPerJob(int v) { return self(set(trainParams().stepsPerJob, v)); }
  default T setCheckpointDir(String v) { return self(set(trainParams().checkpointDir, v)); }
  default T setCheckpointInterval(int v) { return self(set(trainParams().checkpointInterval, v)); }
  default T setFeatureScaling(String v) { return self(set(trainParams().featureScaling, v)); }
  default T setOnDivergence(String v) { return self(set(trainParams().onDivergence, v)); }
  default T setMaxRollbacks(int v) { return self(set(trainParams().maxRollbacks, v)); }
  default T setDivergenceLrFactor(double v) { return self(set(trainParams().divergenceLrFactor, v)); }

  /** MLlib's name for the learning rate. */
  default T setStepSize(double v) { return setLearningRate(v); }

  @SuppressWarnings("unchecked")
  private T self(Params p) {
    return (T) p;
  }
}
