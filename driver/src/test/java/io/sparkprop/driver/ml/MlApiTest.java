package io.sparkprop.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark ML classes in Pipelines, under CrossValidator, and through save and load. */
class MlApiTest {
  @TempDir Path dir;

  static SparkSession spark() {
    io.sparkprop.driver.SparkTestAccess.context();
    return SparkSession.builder().getOrCreate();
  }

  /** Three raw columns a, b, c (on very different scales) and a class label from three blobs. */
  static Dataset<Row> blobs(int n, long seed, boolean regression) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(3);
      double a = (c - 1) * 2 + r.nextGaussian() * 0.5;
      double b = 1000 * ((c == 1 ? 1 : -1) + r.nextGaussian() * 0.3);
      double x = r.nextGaussian();
      double label = regression ? Math.sin(a) + b / 1000 * 0.5 + 0.1 * x : c;
      rows.add(RowFactory.create(a, b, x, label));
    }
    StructType schema = new StructType(new StructField[] {
        DataTypes.createStructField("a", DataTypes.DoubleType, false), DataTypes.createStructField("b", DataTypes.DoubleType, false),
        DataTypes.createStructField("c", DataTypes.DoubleType, false), DataTypes.createStructField("label", DataTypes.DoubleType, false)});
    return spark().createDataFrame(rows, schema).repartition(2);
  }

  static Pipeline pipeline(PipelineStage mlp) {
    VectorAssembler assemble = new VectorAssembler().setInputCols(new String[] {"a", "b", "c"}).setOutputCol("raw");
    StandardScaler scale = new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true);
    return new Pipeline().setStages(new PipelineStage[] {assemble, scale, mlp});
  }

  static MlpClassifier classifier() {
    return new MlpClassifier().setLayers(new int[] {3, 16, 3}).setActivation("tanh").setLearningRate(0.02)
        .setBatchSize(64).setMaxIter(8).setSeed(3);
  }

  @Test
  void pipeline_withAssemblerAndScaler_learnsAndFillsTheStandardColumns() {
    PipelineModel model = pipeline(classifier()).fit(blobs(1500, 1, false));
    Dataset<Row> out = model.transform(blobs(500, 2, false));
    double acc = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(out);
    assertTrue(acc > 0.9, "accuracy " + acc);
    Row first = out.select("rawPrediction", "probability", "prediction").first();
    Vector p = (Vector) first.get(1);
    double sum = 0;
    for (int j = 0; j < 3; j++) sum += p.apply(j);
    assertEquals(1, sum, 1e-9);
    assertEquals(((Vector) first.get(0)).argmax(), (int) first.getDouble(2));
    MlpClassificationModel m = (MlpClassificationModel) model.stages()[2];
    assertEquals(3, m.numClasses());
    assertEquals(3, m.numFeatures());
    assertTrue(m.explainParams().contains("probabilityCol"), m.explainParams());
  }

  @Test
  void crossValidator_tunesTheLearningRate() {
    MlpClassifier mlp = classifier().setMaxIter(3);
    ParamMap[] grid = new ParamGridBuilder().addGrid(mlp.learningRate(), new double[] {1e-5, 0.03}).build();
    CrossValidator cv = new CrossValidator().setEstimator(pipeline(mlp)).setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).setNumFolds(2).setSeed(1);
    CrossValidatorModel fitted = cv.fit(blobs(800, 3, false));
    double[] metrics = fitted.avgMetrics();
    assertTrue(metrics[1] > metrics[0], "lr 0.03 beats lr 1e-5: " + metrics[0] + " vs " + metrics[1]);
    assertTrue(metrics[1] > 0.85, "tuned accuracy " + metrics[1]);
  }

  @Test
  void saveAndLoad_pipelineModelEstimatorAndModel_givesIdenticalPredictions() throws Exception {
    Dataset<Row> test = blobs(300, 5, false);
    PipelineModel model = pipeline(classifier()).fit(blobs(600, 4, false));
    String path = dir.resolve("pipeline").toString();
    model.write().save(path);
    PipelineModel back = PipelineModel.load(path);
    List<Row> a = model.transform(test).select("probability", "prediction").collectAsList();
    List<Row> b = back.transform(test).select("probability", "prediction").collectAsList();
    assertEquals(a, b);
    MlpClassificationModel m = (MlpClassificationModel) back.stages()[2];
    assertArrayEquals(((MlpClassificationModel) model.stages()[2]).weights(), m.weights(), 0f);
    assertEquals(model.stages()[2].uid(), m.uid());

    MlpClassifier est = classifier().setWeightDecay(1e-4);
    est.write().save(dir.resolve("estimator").toString());
    MlpClassifier est2 = MlpClassifier.load(dir.resolve("estimator").toString());
    assertEquals(est.uid(), est2.uid());
    assertArrayEquals(new int[] {3, 16, 3}, est2.getOrDefault(est2.layers()));
    assertEquals(1e-4, (Double) est2.getOrDefault(est2.weightDecay()), 0);
  }

  @Test
  void regressor_inAPipeline_andRoundTrip() throws Exception {
    MlpRegressor reg = new MlpRegressor().setLayers(new int[] {3, 32, 1}).setActivation("tanh").setLearningRate(0.01)
        .setBatchSize(64).setMaxIter(15).setSeed(2).setSchedule("cosine");
    PipelineModel model = pipeline(reg).fit(blobs(2000, 6, true));
    Dataset<Row> test = blobs(500, 7, true);
    double rmse = new RegressionEvaluator().setMetricName("rmse").evaluate(model.transform(test));
    assertTrue(rmse < 0.2, "rmse " + rmse);
    String path = dir.resolve("reg").toString();
    model.write().save(path);
    assertEquals(model.transform(test).select("prediction").collectAsList(),
        PipelineModel.load(path).transform(test).select("prediction").collectAsList());
  }

  @Test
  void badSettings_areRejectedNamingTheValue() {
    assertThrows(IllegalArgumentException.class, () -> new MlpClassifier().setLearningRate(-1));
    assertThrows(IllegalArgumentException.class, () -> new MlpClassifier().setActivation("swish"));
    Dataset<Row> assembled = new VectorAssembler().setInputCols(new String[] {"a", "b", "c"}).setOutputCol("features")
        .transform(blobs(50, 1, false));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new MlpClassifier().setLayers(new int[] {4, 8, 3}).fit(assembled));
    assertTrue(e.getMessage().contains("start with 4 inputs but the features column has 3"), e.getMessage());
  }

  @Test
  void mllibParams_weightColValidationIndicatorPatienceStorageLevelDataPlacementAndStepSize() {
    Dataset<Row> data = new VectorAssembler().setInputCols(new String[] {"a", "b", "c"}).setOutputCol("raw")
        .transform(blobs(900, 8, false));
    data = new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true).fit(data).transform(data)
        .withColumn("w2", org.apache.spark.sql.functions.lit(2.0))
        .withColumn("wSkewed", org.apache.spark.sql.functions.expr("CASE WHEN label = 2 THEN 5.0 ELSE 1.0 END"))
        .withColumn("isVal", org.apache.spark.sql.functions.expr("rand(3) < 0.2"))
        .cache();
    MlpClassifier base = classifier().setStepSize(0.02).setStorageLevel("MEMORY_ONLY");
    float[] plain = base.fit(data).weights();
    // a uniform weight of 2 scales every gradient sum and the weight sum alike: bitwise the same step
    assertArrayEquals(plain, base.copy(new ParamMap()).setWeightCol("w2").fit(data).weights(), 0f);
    // the data in local files instead of the block cache: the same batches, bitwise the same fit
    assertArrayEquals(plain, base.copy(new ParamMap()).setDataPlacement("disk").fit(data).weights(), 0f);
    float[] skewed = base.copy(new ParamMap()).setWeightCol("wSkewed").fit(data).weights();
    assertTrue(!java.util.Arrays.equals(plain, skewed), "non-uniform weights change the fit");
    // validation rows are held out of training (other weights), and early stopping keeps the best epoch
    MlpClassificationModel held = base.copy(new ParamMap()).setValidationIndicatorCol("isVal").setPatience(1).setMaxIter(30)
        .fit(data);
    assertTrue(!java.util.Arrays.equals(plain, held.weights()), "validation rows are not trained on");
    double acc = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(held.transform(data));
    assertTrue(acc > 0.9, "accuracy " + acc);
    TrainingSummary sum = held.summary();
    assertEquals(sum.totalIterations(), sum.lossHistory().length);
    assertEquals(sum.totalIterations(), sum.validationHistory().length, "one validation accuracy per epoch");
    assertTrue(sum.bestEpoch() >= 0 && sum.bestEpoch() < sum.totalIterations());
    assertTrue(sum.stoppedEarly() == sum.totalIterations() < 30, "early stopping with patience 1: " + sum.totalIterations());
    assertArrayEquals(new int[] {3, 16, 3}, held.layers());
    assertEquals(3, held.numClasses());
    assertTrue(!held.copy(new ParamMap()).hasSummary());
    // MLlib's thresholds: prediction = argmax(p / t); a tiny threshold for class 2 makes it win almost everywhere
    long twos = held.copy(new ParamMap()).setThresholds(new double[] {1, 1, 1e-12}).transform(data)
        .filter("prediction = 2.0").count();
    assertTrue(twos > 0.95 * data.count(), twos + " of " + data.count());
    assertThrows(IllegalArgumentException.class, () -> new MlpClassifier().setStorageLevel("IN_THE_CLOUD"));
    assertThrows(IllegalArgumentException.class, () -> new MlpClassifier().setDataPlacement("cloud"));
    data.unpersist();
  }
}
