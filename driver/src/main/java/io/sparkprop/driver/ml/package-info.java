/**
 * The Spark ML API: {@link io.sparkprop.driver.ml.MlpClassifier} / {@link io.sparkprop.driver.ml.MlpClassificationModel}
 * and {@link io.sparkprop.driver.ml.MlpRegressor} / {@link io.sparkprop.driver.ml.MlpRegressionModel}, with typed
 * Params, Pipeline and CrossValidator support, and MLWritable/MLReadable persistence; reachable from
 * PySpark and Spark Connect clients ({@code META-INF/services} registration, {@link
 * io.sparkprop.driver.ml.ConnectNames}, docs/pyspark.md).
 */
package io.sparkprop.driver.ml;
