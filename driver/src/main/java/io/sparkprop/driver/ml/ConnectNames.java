package io.sparkprop.driver.ml;

import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.connect.plugin.MLBackendPlugin;

/**
 * The Spark Connect server's map from the class names PySpark sends to Sparkprop's classes.
 * PySpark names the JVM class of a model it loads after the Python class's module (only
 * {@code pyspark} becomes {@code org.apache.spark}), so the Python classes of docs/pyspark.md,
 * in a module {@code sparkprop}, send {@code sparkprop.MlpClassificationModel}; no Python module
 * can be named after the JVM package ({@code io} is Python's own). Enabled on the server with
 * {@code spark.connect.ml.backend.classes=io.sparkprop.driver.ml.ConnectNames}.
 */
public final class ConnectNames implements MLBackendPlugin {
  static final String PYTHON_MODULE = "sparkprop.";
  private static final Map<String, String> OURS = Stream.of(MlpClassifier.class, MlpClassificationModel.class, MlpRegressor.class,
      MlpRegressionModel.class).collect(Collectors.toMap(c -> PYTHON_MODULE + c.getSimpleName(), Class::getName));

  @Override
  public Optional<String> transform(String name) {
    return Optional.ofNullable(OURS.get(name));
  }
}
