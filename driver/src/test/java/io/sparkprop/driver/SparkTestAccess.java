package io.sparkprop.driver;

import org.apache.spark.api.java.JavaSparkContext;

/** The shared test context, for tests in other packages. */
public final class SparkTestAccess {
  private SparkTestAccess() {}

  public static JavaSparkContext context() {
    return SparkTestContext.get();
  }
}
