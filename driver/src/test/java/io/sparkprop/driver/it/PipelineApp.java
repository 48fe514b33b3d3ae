package io.sparkprop.driver.it;

import io.sparkprop.driver.ml.MlpClassifier;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A user's Spark ML application, submitted to the cluster by {@link StandaloneClusterIT}: fits a
 * Pipeline (VectorAssembler, StandardScaler, MlpClassifier) on three blobs, saves the
 * PipelineModel to args[0], loads it back and checks that the reloaded model predicts exactly
 * what the fitted one did. Prints "pipeline ok ..." and exits 0, or exits 1 naming the problem.
 */
public final class PipelineApp {
  private PipelineApp() {}

  static Dataset<Row> blobs(SparkSession spark, int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(3);
      rows.add(RowFactory.create((c - 1) * 2 + r.nextGaussian() * 0.5, 1000 * ((c == 1 ? 1 : -1) + r.nextGaussian() * 0.3),
          r.nextGaussian(), (double) c));
    }
    StructType schema = new StructType(new StructField[] {
        DataTypes.createStructField("a", DataTypes.DoubleType, false), DataTypes.createStructField("b", DataTypes.DoubleType, false),
        DataTypes.createStructField("c", DataTypes.DoubleType, false), DataTypes.createStructField("label", DataTypes.DoubleType, false)});
    return spark.createDataFrame(rows, schema).repartition(2);
  }

  public static void main(String[] args) throws java.io.IOException {
    SparkSession spark = SparkSession.builder().appName("sparkprop-pipeline-it").getOrCreate();
    try {
      Pipeline p = new Pipeline().setStages(new PipelineStage[] {
          new VectorAssembler().setInputCols(new String[] {"a", "b", "c"}).setOutputCol("raw"),
          new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true),
          new MlpClassifier().setLayers(new int[] {3, 16, 3}).setActivation("tanh").setLearningRate(0.02).setBatchSize(64)
              .setMaxIter(8).setSeed(3)});
      PipelineModel fitted = p.fit(blobs(spark, 1500, 1));
      fitted.write().save(args[0]);
      PipelineModel loaded = PipelineModel.load(args[0]);
      Dataset<Row> test = blobs(spark, 500, 2).cache();
      List<Row> a = fitted.transform(test).select("probability", "prediction").collectAsList();
      List<Row> b = loaded.transform(test).select("probability", "prediction").collectAsList();
      if (!a.equals(b)) {
        System.err.println("pipeline FAILED: the reloaded model predicts differently");
        System.exit(1);
      }
      double acc = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(loaded.transform(test));
      if (acc < 0.9) {
        System.err.println("pipeline FAILED: accuracy " + acc);
        System.exit(1);
      }
      System.out.println("pipeline ok: accuracy " + acc + ", " + a.size() + " identical predictions after save and load");
    } finally {
      spark.stop();
    }
  }
}
