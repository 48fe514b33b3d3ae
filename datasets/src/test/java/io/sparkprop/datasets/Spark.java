package io.sparkprop.datasets;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/** One local[2] session per test JVM, on loopback, with Kryo (as production jobs often use). */
final class Spark {
  private static SparkSession session;

  private Spark() {}

  static synchronized SparkSession session() {
    if (session == null) {
      session = SparkSession.builder().master("local[2]").appName("sparkprop-datasets-tests")
          .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
          .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
          .getOrCreate();
      session.sparkContext().setLogLevel("WARN");
    }
    return session;
  }

  static JavaSparkContext sc() {
    return JavaSparkContext.fromSparkContext(session().sparkContext());
  }

  static String fixture(String name) {
    java.net.URL u = Spark.class.getResource("/fixtures/" + name);
    if (u == null) throw new IllegalStateException("missing fixture " + name);
    return u.getPath();
  }
}
