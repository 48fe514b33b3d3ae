package io.sparkprop.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The CLI's Spark settings: applied where the user set nothing, never over the user's value. */
class SessionTest {

  @Test
  void defaults_fillWhatTheUserLeftUnset() {
    Map<String, String> set = new LinkedHashMap<>();
    Session.defaults(new SparkConf(false), set::put);
    assertEquals(Map.of("spark.executorEnv.OPENBLAS_NUM_THREADS", "1", "spark.ui.showConsoleProgress", "false",
        "spark.task.maxDirectResultSize", "128m"), set);
  }

  @Test
  void defaults_neverOverrideTheUsersSetting() {
    SparkConf user = new SparkConf(false).set("spark.task.maxDirectResultSize", "1m").set("spark.executorEnv.OPENBLAS_NUM_THREADS", "4");
    Map<String, String> set = new LinkedHashMap<>();
    Session.defaults(user, set::put);
    assertEquals(Map.of("spark.ui.showConsoleProgress", "false"), set);
  }
}
