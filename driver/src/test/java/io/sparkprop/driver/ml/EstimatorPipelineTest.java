package io.sparkprop.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.driver.loop.DivergenceException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the estimators share with the command line's pipeline: feature scaling, the divergence guard, provenance. */
class EstimatorPipelineTest {
  @TempDir Path dir;

  /** MlApiTest's blobs, assembled into "features" without any scaler (column b is a thousand times the others). */
  static Dataset<Row> raw(int n, long seed) {
    Dataset<Row> assembled = new VectorAssembler().setInputCols(new String[] {"a", "b", "c"}).setOutputCol("features")
        .transform(MlApiTest.blobs(n, seed, false)).select("features", "label");
    assembled.cache().count(); // one order of rows for every use below
    return assembled;
  }

  /** {@code data}'s features under {@code s}, computed in float32 as the packed rows are, row order and partitions kept. */
  static Dataset<Row> scaledByHand(Dataset<Row> data, FeatureScaling s) {
    float[] off = s.offset();
    float[] scale = s.scale();
    StructType schema = new StructType(new StructField[] {DataTypes.createStructField("features", new VectorUDT(), false),
        DataTypes.createStructField("label", DataTypes.DoubleType, false)});
    return MlApiTest.spark().createDataFrame(data.javaRDD().map(r -> {
      double[] x = ((Vector) r.get(0)).toArray();
      double[] y = new double[x.length];
      for (int i = 0; i < x.length; i++) y[i] = ((float) x[i] - off[i]) * scale[i];
      return RowFactory.create(Vectors.dense(y), r.get(1));
    }), schema);
  }

  @Test
  void featureScaling_isFittedOnTheTrainingRows_storedWithTheModel_andAppliedToEveryRowItPredicts() throws Exception {
    Dataset<Row> train = raw(1200, 11);
    MlpClassificationModel scaled = MlApiTest.classifier().setFeatureScaling("standard").fit(train);
    FeatureScaling s = scaled.scaling();
    assertEquals(FeatureScaling.Kind.STANDARD, s.kind());
    // independent reference: the columns' means and standard deviations in double precision
    List<Row> rows = train.collectAsList();
    for (int i = 0; i < 3; i++) {
      double sum = 0;
      double sq = 0;
      for (Row r : rows) sum += ((Vector) r.get(0)).apply(i);
      double mean = sum / rows.size();
      for (Row r : rows) sq += Math.pow(((Vector) r.get(0)).apply(i) - mean, 2);
      double sd = Math.sqrt(sq / rows.size());
      assertEquals(mean, s.offset()[i], 1e-4 * Math.max(1, Math.abs(mean)), "mean of feature " + i);
      assertEquals(1 / sd, s.scale()[i], 1e-3 / sd, "1/sd of feature " + i);
    }
    // the same fit on rows scaled by hand, without the Param: the same weights, bit for bit
    MlpClassificationModel byHand = MlApiTest.classifier().fit(scaledByHand(train, s));
    assertArrayEquals(byHand.weights(), scaled.weights(), 0f);
    Dataset<Row> test = raw(400, 12);
    assertEquals(probabilities(byHand.transform(scaledByHand(test, s))), probabilities(scaled.transform(test)));
    double acc = new org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(scaled.transform(test));
    assertTrue(acc > 0.9, "accuracy with the model's own scaling " + acc);

    String path = dir.resolve("scaled").toString();
    scaled.write().save(path);
    MlpClassificationModel loaded = MlpClassificationModel.load(path);
    assertArrayEquals(s.offset(), loaded.scaling().offset(), 0f);
    assertArrayEquals(s.scale(), loaded.scaling().scale(), 0f);
    assertEquals(probabilities(scaled.transform(test)), probabilities(loaded.transform(test)), "after save and load");
  }

  @Test
  void theSavedModel_keepsItsProvenance() throws Exception {
    Dataset<Row> train = raw(600, 13);
    MlpClassifier c = MlApiTest.classifier().setMaxIter(2);
    MlpClassificationModel m = c.fit(train);
    assertEquals(c.uid(), m.provenance().get("run"));
    assertEquals("3", m.provenance().get("seed"));
    assertEquals("600", m.provenance().get("trainingRows"));
    assertEquals("2", m.provenance().get("epochs"));
    assertTrue(m.provenance().get("params").contains("layers=[3, 16, 3]"), m.provenance().toString());
    String path = dir.resolve("m").toString();
    m.write().save(path);
    MlpClassificationModel loaded = MlpClassificationModel.load(path);
    assertEquals(m.provenance().get("trainingFingerprint"), loaded.provenance().get("trainingFingerprint"));
    assertEquals(MlpClassificationModel.class.getName(), loaded.provenance().get("sparkMlClass"));
  }

  @Test
  void divergence_stopsNamingTheParamToChange_orRollsBackUntilMaxRollbacks() {
    Dataset<Row> train = raw(600, 14);
    MlpClassifier c = MlApiTest.classifier().setActivation("relu").setOptimizer("sgd").setLearningRate(1e30).setMaxIter(2);
    DivergenceException stop = assertThrows(DivergenceException.class, () -> c.fit(train));
    assertTrue(stop.getMessage().contains("Likely fixes: a lower learningRate (now 1.0E30)")
        && stop.getMessage().contains("no checkpoints are written (set checkpointDir)"), stop.getMessage());

    c.setOnDivergence("rollback").setMaxRollbacks(2).setDivergenceLrFactor(0.5).setCheckpointDir(dir.resolve("ckpt").toString());
    DivergenceException gaveUp = assertThrows(DivergenceException.class, () -> c.fit(train));
    assertTrue(gaveUp.getMessage().contains("gave up after 2 rollback(s)")
        && gaveUp.getMessage().contains("now 2.5E29"), gaveUp.getMessage());
    assertThrows(IllegalArgumentException.class, () -> c.setOnDivergence("retry"));
    assertThrows(IllegalArgumentException.class, () -> c.setDivergenceLrFactor(1.0));
    assertThrows(IllegalArgumentException.class, () -> c.setFeatureScaling("log"));
  }

  private static List<String> probabilities(Dataset<Row> out) {
    return out.select("probability").collectAsList().stream().map(r -> r.get(0).toString()).toList();
  }
}
