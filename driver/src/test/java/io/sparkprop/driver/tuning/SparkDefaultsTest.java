package io.sparkprop.driver.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The CLI's Spark settings: applied where the user set nothing, never over the user's value. */
class SparkDefaultsTest {

  @Test
  void defaults_fillWhatTheUserLeftUnset() {
    Map<String, String> set = new LinkedHashMap<>();
    SparkDefaults.apply(new SparkConf(false), "spark://master:7077", set::put);
    assertEquals(Map.of("spark.executorEnv.OPENBLAS_NUM_THREADS", "1", "spark.ui.showConsoleProgress", "false",
        "spark.task.maxDirectResultSize", "128m", "spark.hadoop." + SparkDefaults.HDFS_CLOSE_RETRY, "20"), set);
  }

  @Test
  void defaults_localMasterGetsSmallBroadcastPieces() {
    for (String master : new String[] {"local", "local[2]", "local[*]", "local[4,2]"}) {
      Map<String, String> set = new LinkedHashMap<>();
      SparkDefaults.apply(new SparkConf(false), master, set::put);
      assertEquals("256k", set.get("spark.broadcast.blockSize"), master);
    }
    for (String master : new String[] {"local-cluster[2,1,1024]", "yarn", "k8s://https://host:443"}) {
      Map<String, String> set = new LinkedHashMap<>();
      SparkDefaults.apply(new SparkConf(false), master, set::put);
      assertEquals(null, set.get("spark.broadcast.blockSize"), master);
    }
  }

  @Test
  void defaults_localMasterKeepsTheUsersPieceSize() {
    Map<String, String> set = new LinkedHashMap<>();
    SparkDefaults.apply(new SparkConf(false).set("spark.broadcast.blockSize", "1m"), "local[2]", set::put);
    assertEquals(null, set.get("spark.broadcast.blockSize"));
  }

  /** 256 KB stays below half of G1's smallest region (1 MB), so a broadcast piece is never a humongous object. */
  @Test
  void localPieceIsBelowHalfOfTheSmallestG1Region() {
    long bytes = new SparkConf(false).set("spark.broadcast.blockSize", SparkDefaults.LOCAL_BROADCAST_PIECE).getSizeAsBytes("spark.broadcast.blockSize");
    org.junit.jupiter.api.Assertions.assertTrue(bytes < 512 * 1024, bytes + " bytes");
  }

  @Test
  void defaults_neverOverrideTheUsersSetting() {
    SparkConf user = new SparkConf(false).set("spark.task.maxDirectResultSize", "1m").set("spark.executorEnv.OPENBLAS_NUM_THREADS", "4")
        .set("spark.hadoop." + SparkDefaults.HDFS_CLOSE_RETRY, "400");
    Map<String, String> set = new LinkedHashMap<>();
    SparkDefaults.apply(user, "local[2]", set::put);
    assertEquals(Map.of("spark.ui.showConsoleProgress", "false", "spark.broadcast.blockSize", "256k"), set);
  }
}
