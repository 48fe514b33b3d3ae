package io.sparkprop.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Spark ML fit with {@code checkpointDir}: a driver killed after a checkpoint, and the same fit
 * run again, ends with the weights of a fit never interrupted; a fit with other Params is refused
 * naming the difference.
 */
class EstimatorResumeTest {
  @TempDir Path dir;

  /** Four blobs in 6 dimensions; the same rows in every JVM. */
  static Dataset<Row> data(SparkSession spark) {
    SplittableRandom r = new SplittableRandom(11);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      int c = r.nextInt(4);
      double[] x = new double[6];
      for (int j = 0; j < x.length; j++) x[j] = (j % 4 == c ? 1.5 : 0) + r.nextGaussian() * 0.7;
      rows.add(RowFactory.create(Vectors.dense(x), (double) c));
    }
    StructType schema = new StructType(new StructField[] {DataTypes.createStructField("features", SQLDataTypes.VectorType(), false),
        DataTypes.createStructField("label", DataTypes.DoubleType, false)});
    return spark.createDataFrame(rows, schema);
  }

  /** 5 epochs of 47 steps, cosine schedule with warmup: optimizer state and schedule both cross the interruption. */
  static MlpClassifier classifier() {
    return new MlpClassifier().setLayers(new int[] {6, 32, 4}).setActivation("tanh").setLearningRate(0.01).setSchedule("cosine")
        .setWarmupSteps(10).setBatchSize(64).setMaxIter(5).setSeed(3).setNumPartitions(2).setCheckpointInterval(20);
  }

  @Test
  void killedDriver_rerunResumesToTheWeightsOfAnUninterruptedFit() throws Exception {
    SparkSession spark = MlApiTest.spark();
    float[] whole = classifier().fit(data(spark)).weights();

    String ckpt = dir.resolve("ckpt").toString();
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Xmx")) cmd.add(a);
    }
    cmd.addAll(List.of("-Dsparkprop.test.halt-at=checkpoint:after-rename#3", "-cp",
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), EstimatorFitMain.class.getName(), ckpt));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    assertEquals(137, p.waitFor(), "the child halts at its third checkpoint: " + java.nio.file.Files.readString(dir.resolve("child.log")));
    String[] left = new File(ckpt).list((d, n) -> n.startsWith("ckpt-"));
    assertTrue(left != null && left.length == 3, "three checkpoints before the kill: " + java.util.Arrays.toString(left));

    MlpClassificationModel resumed = classifier().setCheckpointDir(ckpt).fit(data(spark));
    assertEquals(60, resumed.summary().resumedFromStep(), "resumed from the third checkpoint: " + resumed.summary().resumedFrom());
    assertArrayEquals(whole, resumed.weights(), 0f, "resumed fit vs uninterrupted fit");
    assertEquals(5, resumed.summary().lossHistory().length, "the history crosses the interruption");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> classifier().setLearningRate(0.02).setCheckpointDir(ckpt).fit(data(spark)));
    assertTrue(e.getMessage().contains("belongs to another run and cannot be resumed: learningRate was 0.01, now 0.02"), e.getMessage());
  }
}
