package io.sparkprop.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.data.Examples;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFrameSourceTest {
  @TempDir Path dir;

  static final StructType VECTORS = new StructType(new StructField[] {
      new StructField("features", new VectorUDT(), true, Metadata.empty()),
      new StructField("label", DataTypes.DoubleType, true, Metadata.empty()),
      new StructField("weight", DataTypes.DoubleType, true, Metadata.empty())});

  static Dataset<Row> frame(List<Row> rows, StructType schema) {
    return Spark.session().createDataFrame(rows, schema).coalesce(1);
  }

  @Test
  void denseAndSparseVectors_withWeights() {
    Dataset<Row> df = frame(Arrays.asList(
        RowFactory.create(Vectors.dense(1, 2, 3), 0.0, 1.0),
        RowFactory.create(Vectors.sparse(3, new int[] {2}, new double[] {5}), 2.0, 0.5)), VECTORS);
    DataFrameSource.Options o = new DataFrameSource.Options("features", "label", "weight", Targets.classes(3), BadRows.FAIL);
    Examples e = Collect.all(DataFrameSource.from(df, o));
    assertArrayEquals(new float[] {1, 2, 3, 0, 0, 5}, e.x(), 0f);
    assertArrayEquals(new float[] {0, 2}, e.y(), 0f);
    assertArrayEquals(new float[] {1, 0.5f}, e.w(), 0f);
  }

  @Test
  void arrayFeatures_andArrayRegressionTargets() {
    StructType schema = new StructType(new StructField[] {
        new StructField("x", DataTypes.createArrayType(DataTypes.FloatType), true, Metadata.empty()),
        new StructField("y", DataTypes.createArrayType(DataTypes.DoubleType), true, Metadata.empty())});
    Dataset<Row> df = frame(Arrays.asList(RowFactory.create(new float[] {1f, 2f}, new double[] {0.5, -3})), schema);
    Examples e = Collect.all(DataFrameSource.from(df,
        new DataFrameSource.Options("x", "y", null, Targets.regression(2), BadRows.FAIL)));
    assertArrayEquals(new float[] {1, 2}, e.x(), 0f);
    assertArrayEquals(new float[] {0.5f, -3f}, e.y(), 0f);
  }

  @Test
  void badRows_areNamedByPartitionAndPosition() {
    Dataset<Row> df = frame(Arrays.asList(
        RowFactory.create(Vectors.dense(1, 2), 0.0, 1.0),
        RowFactory.create(Vectors.dense(1, Double.NaN), 1.0, 1.0),
        RowFactory.create(Vectors.dense(1, 2, 3), 1.0, 1.0),
        RowFactory.create(Vectors.dense(1, 2), 7.0, 1.0),
        RowFactory.create(Vectors.dense(1, 2), 1.0, -1.0)), VECTORS);
    DataFrameSource.Options fail = new DataFrameSource.Options("features", "label", "weight", Targets.classes(2), BadRows.FAIL);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Collect.all(DataFrameSource.from(df, fail)));
    assertTrue(e.getMessage().contains("row 1 of partition 0: feature 1 is NaN"), e.getMessage());
    DataFrameSource.Options drop = new DataFrameSource.Options("features", "label", "weight", Targets.classes(2), BadRows.DROP);
    ExampleSet s = DataFrameSource.from(df, drop);
    assertEquals(1, Collect.all(s).rows());
    assertEquals(4, s.droppedRows());
  }

  @Test
  void wrongColumnTypesAndNames_failBeforeAnyJob() {
    Dataset<Row> df = frame(Arrays.asList(RowFactory.create(Vectors.dense(1, 2), 0.0, 1.0)), VECTORS);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataFrameSource.from(df,
        new DataFrameSource.Options("feats", "label", null, Targets.classes(2), BadRows.FAIL)));
    assertTrue(e.getMessage().contains("'feats' is not among the columns [features, label, weight]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DataFrameSource.from(df,
        new DataFrameSource.Options("label", "label", null, Targets.classes(2), BadRows.FAIL)));
    assertTrue(e.getMessage().contains("has type double; it must be a vector"), e.getMessage());
  }

  @Test
  void parquetAndSparksLibsvmReader_goThroughTheSameSource() throws java.io.IOException {
    Dataset<Row> df = frame(Arrays.asList(
        RowFactory.create(Vectors.dense(1, 2, 3), 0.0, 1.0),
        RowFactory.create(Vectors.dense(4, 5, 6), 1.0, 1.0)), VECTORS);
    String out = dir.resolve("p").toString();
    df.write().parquet(out);
    Examples e = Collect.all(DataFrameSource.read(Spark.session(), "parquet", out, Map.of(),
        DataFrameSource.Options.of(Targets.classes(2))));
    assertEquals(2, e.rows());
    assertEquals(3, e.features());
    // Spark's libsvm reader takes no comments, ours does
    Path plain = dir.resolve("plain.libsvm");
    java.nio.file.Files.writeString(plain, "0 1:0.5 3:1.5\n2 2:-1\n1 1:1 2:2 3:3\n");
    Examples l = Collect.all(DataFrameSource.read(Spark.session(), "libsvm", plain.toString(),
        Map.of("numFeatures", "3"), DataFrameSource.Options.of(Targets.classes(3))));
    assertArrayEquals(Collect.all(LibSvmReader.read(Spark.sc(), Spark.fixture("good.libsvm"),
        new LibSvmReader.Options(3, Targets.classes(3), BadRows.FAIL, 1))).x(), l.x(), 0f);
    IllegalArgumentException m = assertThrows(IllegalArgumentException.class, () -> DataFrameSource.read(Spark.session(),
        "parquet", dir.resolve("missing").toString(), Map.of(), DataFrameSource.Options.of(Targets.classes(2))));
    assertTrue(m.getMessage().contains("no such file"), m.getMessage());
  }

  @Test
  void stringLabels_sortedDeterministicMapping() {
    StructType schema = new StructType(new StructField[] {
        new StructField("features", new VectorUDT(), true, Metadata.empty()),
        new StructField("species", DataTypes.StringType, true, Metadata.empty())});
    Dataset<Row> df = frame(Arrays.asList(
        RowFactory.create(Vectors.dense(1), "virginica"),
        RowFactory.create(Vectors.dense(2), "setosa"),
        RowFactory.create(Vectors.dense(3), "versicolor"),
        RowFactory.create(Vectors.dense(4), "setosa")), schema);
    StringLabels labels = StringLabels.fit(df, "species");
    assertEquals(List.of("setosa", "versicolor", "virginica"), labels.labels());
    Dataset<Row> indexed = labels.transform(df, "species", "label");
    Examples e = Collect.all(DataFrameSource.from(indexed, DataFrameSource.Options.of(Targets.classes(3))));
    assertArrayEquals(new float[] {2, 0, 1, 0}, e.y(), 0f);
    StringLabels fitted = StringLabels.fit(df.select("features", "species").limit(2), "species");
    Dataset<Row> unknown = fitted.transform(df, "species", "label");
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
        () -> Collect.all(DataFrameSource.from(unknown, DataFrameSource.Options.of(Targets.classes(3)))));
    assertTrue(ex.getMessage().contains("label 'versicolor'") && ex.getMessage().contains("known labels"), ex.getMessage());
  }
}
