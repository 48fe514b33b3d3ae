package io.sparkprop.driver.cli;

import io.sparkprop.driver.job.ModelJob;
import io.sparkprop.driver.job.Session;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.nn.Workspace;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sparkprop predict --model DIR --data PATH --output PATH}: one row per example: its id
 * (the 0-based position in the input), the predicted class (classification) and the
 * probabilities or regression outputs {@code p0..p(k-1)} / {@code y0..y(k-1)}, as CSV or Parquet.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
    description = "Write a model's predictions for data read the way its training data was.")
final class PredictCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a registry (its current version)")
  String model;

  @Option(names = "--data", required = true, paramLabel = "PATH", description = "Data to predict (Hadoop path)")
  String data;

  @Option(names = "--output", required = true, paramLabel = "PATH", description = "Output directory (must not exist)")
  String output;

  @Option(names = "--format", paramLabel = "csv|parquet", description = "Output format (default: csv when --output ends in .csv, else parquet)")
  String format;

  @Option(names = "--unlabeled", description = "The data have no label (or weight) columns (csv, parquet, orc, json)")
  boolean unlabeled;

  @Mixin ConfigOptions common = new ConfigOptions();

  @Override
  public Integer call() {
    String fmt = format != null ? format.toLowerCase(Locale.ROOT) : output.toLowerCase(Locale.ROOT).endsWith(".csv") ? "csv" : "parquet";
    if (!fmt.equals("csv") && !fmt.equals("parquet")) {
      throw new IllegalArgumentException("--format " + format + " is not csv or parquet");
    }
    try (Session spark = Session.open(common.master, "sparkprop predict", common.logLevel())) {
      ModelJob job = new ModelJob(spark, model, data, common.sets, unlabeled);
      NetworkSpec net = job.model.spec();
      int k = net.outputSize();
      boolean classes = net.head() == Head.SOFTMAX_CROSS_ENTROPY;
      Broadcast<float[]> bc = spark.jsc().broadcast(job.model.params());
      List<String> names = classes ? job.model.labels() : null; // predictions as the training data's class names
      JavaRDD<Row> rows = job.data.rdd().flatMap(e -> predictRows(net, bc.value(), e, classes, names).iterator());
      List<StructField> fields = new ArrayList<>();
      fields.add(DataTypes.createStructField("id", DataTypes.LongType, false));
      if (classes) {
        fields.add(DataTypes.createStructField("prediction", names == null ? DataTypes.IntegerType : DataTypes.StringType, false));
      }
      for (int j = 0; j < k; j++) {
        fields.add(DataTypes.createStructField((net.head() == Head.LINEAR_SQUARED_ERROR ? "y" : "p") + j, DataTypes.FloatType, false));
      }
      Dataset<Row> df = spark.spark().createDataFrame(rows, new StructType(fields.toArray(new StructField[0])));
      if (fmt.equals("csv")) df.write().option("header", "true").option("escape", "\"").csv(output); // RFC 4180: a quote inside a quoted field is doubled
      else df.write().parquet(output);
      bc.destroy();
      job.data.unpersist();
      System.out.println("predictions for " + job.data.rows() + " examples written to " + output + " (" + fmt + ")");
      return Sparkprop.OK;
    }
  }

  static List<Row> predictRows(NetworkSpec net, float[] params, Examples e, boolean classes, List<String> names) {
    int k = net.outputSize();
    float[] out = new float[e.rows() * k];
    if (e.rows() > 0) new Network(net).predict(params, e.x(), 0, e.rows(), new Workspace(net, 256), out, 0);
    List<Row> rows = new ArrayList<>(e.rows());
    for (int r = 0; r < e.rows(); r++) {
      Object[] v = new Object[1 + (classes ? 1 : 0) + k];
      int c = 0;
      v[c++] = e.firstId() + r;
      if (classes) {
        int best = Network.argmax(out, r * k, k);
        v[c++] = names == null ? (Object) best : names.get(best);
      }
      for (int j = 0; j < k; j++) v[c++] = out[r * k + j];
      rows.add(RowFactory.create(v));
    }
    return rows;
  }
}
