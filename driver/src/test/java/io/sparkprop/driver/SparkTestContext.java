package io.sparkprop.driver;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** One local[2] Spark context per test JVM (starting one costs seconds), on loopback only, with Kryo. */
public final class SparkTestContext {
  private static JavaSparkContext sc;

  private SparkTestContext() {}

  public static synchronized JavaSparkContext get() {
    if (sc == null) {
      SparkConf conf = new SparkConf()
          .setMaster("local[2]")
          .setAppName("sparkprop-tests")
          .set("spark.driver.host", "127.0.0.1")
          .set("spark.driver.bindAddress", "127.0.0.1")
          .set("spark.ui.enabled", "false")
          .set("spark.sql.shuffle.partitions", "4")
          // Kryo here, Java serialization in LocalClusterTest: step results must survive both
          .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
      sc = new JavaSparkContext(conf);
      sc.setLogLevel("WARN");
    }
    return sc;
  }
}
