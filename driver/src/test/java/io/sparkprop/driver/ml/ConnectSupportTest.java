package io.sparkprop.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a Spark Connect server asks of the estimators and models besides fit and transform, each
 * the way the server calls it (SparkConnectIT drives the whole protocol).
 */
class ConnectSupportTest {
  @TempDir Path dir;

  static Dataset<Row> features(int n, long seed) {
    return new VectorAssembler().setInputCols(new String[] {"a", "b", "c"}).setOutputCol("features")
        .transform(MlApiTest.blobs(n, seed, false));
  }

  @Test
  void serviceLoader_findsBothEstimatorsAndBothModels_withoutMakingThem() {
    // the server's MLUtils.loadOperators: stream().type(), never get()
    Set<String> estimators = ServiceLoader.load(Estimator.class).stream().map(p -> p.type().getName()).collect(Collectors.toSet());
    Set<String> transformers = ServiceLoader.load(Transformer.class).stream().map(p -> p.type().getName()).collect(Collectors.toSet());
    assertTrue(estimators.containsAll(Set.of(MlpClassifier.class.getName(), MlpRegressor.class.getName())), estimators.toString());
    assertTrue(transformers.containsAll(Set.of(MlpClassificationModel.class.getName(), MlpRegressionModel.class.getName())),
        transformers.toString());
    // the server makes estimators with the uid its client chose
    assertEquals("MlpClassifier_0a1b", new MlpClassifier("MlpClassifier_0a1b").uid());
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, MlpClassificationModel::new);
    assertTrue(e.getMessage().contains("MlpClassifier.fit"), e.getMessage());
  }

  @Test
  void localDiskRoundTrip_ofModelAndSummary_isExact() throws Exception {
    Dataset<Row> train = features(600, 1);
    MlpClassificationModel fitted = MlApiTest.classifier().setFeatureScaling("standard").fit(train);
    // MLCache.register: write.saveToLocal, then saveSummary under the same folder
    String path = dir.resolve("cache/0d5f").toString();
    fitted.write().saveToLocal(path);
    fitted.saveSummary(path + "/summary");
    assertTrue(Files.isRegularFile(Path.of(path, "metadata/part-00000")), "on the local disk");

    // MLCache.get after eviction: read().loadFromLocal, then loadSummary when a client asks for it
    MlpClassificationModel back = MlpClassificationModel.read().loadFromLocal(path);
    assertFalse(back.hasSummary());
    back.loadSummary(path + "/summary", null);
    assertArrayEquals(fitted.weights(), back.weights());
    assertArrayEquals(fitted.summary().lossHistory(), back.summary().objectiveHistory());
    assertArrayEquals(fitted.summary().validationHistory(), back.summary().validationHistory());
    assertEquals(fitted.summary().totalIterations(), back.summary().totalIterations());
    assertEquals(fitted.summary().bestEpoch(), back.summary().bestEpoch());
    Dataset<Row> test = features(50, 2);
    Vector a = (Vector) fitted.transform(test).select("probability").first().get(0);
    Vector b = (Vector) back.transform(test).select("probability").first().get(0);
    assertArrayEquals(a.toArray(), b.toArray());
    assertEquals(fitted.toString().replace(fitted.uid(), ""), back.toString().replace(back.uid(), ""));
  }

  @Test
  void sizeEstimates_countTheWeights_beforeAndAfterTheFit() {
    MlpClassifier c = MlApiTest.classifier(); // layers 3, 16, 3
    long params = 3 * 16 + 16 + 16 * 3 + 3;
    long before = c.estimateModelSize(null);
    MlpClassificationModel m = c.fit(features(300, 3));
    assertTrue(before >= 4 * params && before < 4 * params + 4096, "estimate " + before);
    assertTrue(m.estimatedSize() >= before && m.estimatedSize() < before + 4096, m.estimatedSize() + " vs " + before);
    assertThrows(UnsupportedOperationException.class, () -> new MlpRegressor().estimateModelSize(null),
        "no layers: Spark's signal that there is no estimate");
  }

  @Test
  void badParams_nameTheParamTheValueAndWhatIsAccepted() {
    assertEquals("batchSize = 0: must be >= 1",
        assertThrows(IllegalArgumentException.class, () -> new MlpClassifier().setBatchSize(0)).getMessage());
    assertEquals("layers = [4]: needs at least an input and an output size, each >= 1",
        assertThrows(IllegalArgumentException.class, () -> new MlpClassifier().setLayers(new int[] {4})).getMessage());
    assertEquals("schedule = \"step\": use one of constant, cosine",
        assertThrows(IllegalArgumentException.class, () -> new MlpRegressor().setSchedule("step")).getMessage());
    String optimizer = assertThrows(IllegalArgumentException.class, () -> new MlpClassifier().setOptimizer("adamm")).getMessage();
    assertTrue(optimizer.startsWith("optimizer = \"adamm\": ") && optimizer.contains("adam"), optimizer);
  }

  @Test
  void connectNames_mapPythonsModuleNamesOnly() {
    ConnectNames names = new ConnectNames();
    assertEquals(Optional.of(MlpClassificationModel.class.getName()), names.transform("sparkprop.MlpClassificationModel"));
    assertEquals(Optional.of(MlpRegressor.class.getName()), names.transform("sparkprop.MlpRegressor"));
    assertEquals(Optional.empty(), names.transform(MlpClassifier.class.getName()));
    assertEquals(Optional.empty(), names.transform("org.apache.spark.ml.classification.LogisticRegression"));
  }
}
