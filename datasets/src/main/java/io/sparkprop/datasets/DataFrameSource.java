package io.sparkprop.datasets;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.util.LongAccumulator;

/**
 * Any Spark DataFrame in MLlib's convention: a features column holding a vector (dense or sparse,
 * {@code VectorUDT}) or an array of numbers, a label column holding a number (class index or
 * regression value) or, for several targets, an array or vector of numbers, and optionally a
 * numeric weight column. Through Spark's own readers this covers Parquet, ORC, CSV, JSON and
 * LibSVM ({@link #read}).
 *
 * <p>Rows are identified in messages by partition and position, the only identity a DataFrame
 * row has.
 */
public final class DataFrameSource {
  private DataFrameSource() {}

  /**
   * @param features name of the features column (default "features")
   * @param label name of the label column (default "label"), or null for unlabeled data
   *     (prediction), whose targets are then all 0
   * @param weight name of the weight column, or null
   */
  public record Options(String features, String label, String weight, Targets targets, BadRows badRows)
      implements Serializable {
    public Options {
      Objects.requireNonNull(features, "features column");
      Objects.requireNonNull(targets, "targets");
      Objects.requireNonNull(badRows, "bad-row policy");
    }

    public static Options of(Targets targets) {
      return new Options("features", "label", null, targets, BadRows.FAIL);
    }
  }

  /** Reads {@code path} with Spark's reader for {@code format} (parquet, orc, csv, json, libsvm, ...), then {@link #from}. */
  public static ExampleSet read(SparkSession spark, String format, String path, Map<String, String> readerOptions,
      Options o) {
    ExampleSet s = from(frame(spark, format, path, readerOptions), o);
    return s.withBlocks(s.blocks(), format + " " + path);
  }

  /** {@code path} read by Spark's reader for {@code format}, after a clear message for a missing path. */
  public static Dataset<Row> frame(SparkSession spark, String format, String path, Map<String, String> readerOptions) {
    TextLines.files(spark.sparkContext().hadoopConfiguration(), path);
    return spark.read().format(format).options(readerOptions).load(path);
  }

  public static ExampleSet from(Dataset<Row> df, Options o) {
    StructField[] fields = df.schema().fields();
    int fi = index(df, o.features(), "features");
    int li = o.label() == null ? -1 : index(df, o.label(), "label");
    int wi = o.weight() == null ? -1 : index(df, o.weight(), "weight");
    DataType ft = fields[fi].dataType();
    if (!(ft instanceof VectorUDT) && !(ft instanceof ArrayType && ((ArrayType) ft).elementType() instanceof NumericType)) {
      throw new IllegalArgumentException("features column '" + o.features() + "' has type " + ft.simpleString()
          + "; it must be a vector (e.g. from VectorAssembler) or an array of numbers");
    }
    DataType lt = li < 0 ? DataTypes.DoubleType : fields[li].dataType();
    boolean scalarLabel = lt instanceof NumericType;
    if (li >= 0 && !scalarLabel && !(lt instanceof VectorUDT) && !(lt instanceof ArrayType)) {
      throw new IllegalArgumentException("label column '" + o.label() + "' has type " + lt.simpleString()
          + "; it must be numeric, or an array/vector for several targets"
          + (lt.simpleString().equals("string") ? " (string class labels: map them first with StringLabels)" : ""));
    }
    if (li >= 0 && scalarLabel && o.targets().columns() != 1) {
      throw new IllegalArgumentException("label column '" + o.label() + "' holds one number per row but the targets need "
          + o.targets().columns() + "; use an array or vector column");
    }
    if (wi >= 0 && !(fields[wi].dataType() instanceof NumericType)) {
      throw new IllegalArgumentException("weight column '" + o.weight() + "' has type "
          + fields[wi].dataType().simpleString() + "; it must be numeric");
    }
    java.util.List<Row> head = df.select(o.features()).takeAsList(1);
    if (head.isEmpty()) throw new IllegalArgumentException("the data frame has no rows");
    Row first = head.get(0);
    if (first.isNullAt(0)) throw new IllegalArgumentException("the first row's features are null");
    int d = first.get(0) instanceof Vector ? ((Vector) first.get(0)).size() : first.getList(0).size();
    if (d < 1) throw new IllegalArgumentException("the first row's features are empty");
    int tw = o.targets().targetWidth();
    LongAccumulator dropped = df.sparkSession().sparkContext().longAccumulator("sparkprop rows dropped");
    Targets targets = o.targets();
    boolean drop = o.badRows() == BadRows.DROP;
    org.apache.spark.api.java.JavaRDD<io.sparkprop.trainer.data.Examples> blocks = Rdds.mapPartitions(df.javaRDD(), true, (p, it) -> {
      BlockBuilder b = new BlockBuilder(d, tw, wi >= 0);
      long pos = 0;
      while (it.hasNext()) {
        Row row = it.next();
        String problem = fill(row, fi, li, wi, d, targets, b);
        if (problem != null) {
          if (drop) {
            dropped.add(1);
          } else {
            throw new BadRowException("row " + pos + " of partition " + p, problem);
          }
        }
        pos++;
      }
      return java.util.List.of(b.build()).iterator();
    });
    return new ExampleSet(blocks, d, tw, "data frame", dropped);
  }

  private static int index(Dataset<Row> df, String name, String role) {
    String[] cols = df.columns();
    int i = Arrays.asList(cols).indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException(role + " column '" + name + "' is not among the columns " + Arrays.toString(cols));
    }
    return i;
  }

  /** Fills one row; null or the rule it breaks (the row is then removed). */
  static String fill(Row row, int fi, int li, int wi, int d, Targets targets, BlockBuilder b) {
    if (row.isNullAt(fi)) return "features are null";
    if (li >= 0 && row.isNullAt(li)) return "label is null";
    int r = b.addRow();
    Object f = row.get(fi);
    float[] x = b.x();
    if (f instanceof Vector) {
      Vector v = (Vector) f;
      if (v.size() != d) {
        b.dropLast();
        return "has " + v.size() + " features, expected " + d + " (as in the first row)";
      }
      Arrays.fill(x, r * d, r * d + d, 0f);
      if (v instanceof SparseVector) {
        SparseVector s = (SparseVector) v;
        for (int k = 0; k < s.indices().length; k++) x[r * d + s.indices()[k]] = (float) s.values()[k];
      } else {
        for (int i = 0; i < d; i++) x[r * d + i] = (float) v.apply(i);
      }
    } else {
      java.util.List<Object> l = row.getList(fi);
      if (l.size() != d) {
        b.dropLast();
        return "has " + l.size() + " features, expected " + d + " (as in the first row)";
      }
      for (int i = 0; i < d; i++) {
        Object e = l.get(i);
        if (e == null) {
          b.dropLast();
          return "feature " + i + " is null";
        }
        x[r * d + i] = ((Number) e).floatValue();
      }
    }
    for (int i = 0; i < d; i++) {
      if (!Float.isFinite(x[r * d + i])) {
        float bad = x[r * d + i];
        b.dropLast();
        return "feature " + i + " is " + bad + "; features must be finite";
      }
    }
    int tw = targets.targetWidth();
    if (li < 0) {
      Arrays.fill(b.y(), r * tw, r * tw + tw, 0f);
      if (wi >= 0) b.w()[r] = 1f;
      return null;
    }
    double[] t = labels(row.get(li));
    if (t.length != targets.columns()) {
      b.dropLast();
      return "has " + t.length + " label values, expected " + targets.columns();
    }
    for (int j = 0; j < t.length; j++) {
      String rule = targets.violation(t[j], j);
      if (rule != null) {
        b.dropLast();
        return "label " + (t.length > 1 ? j + " " : "") + "is " + t[j] + "; " + rule;
      }
      b.y()[r * tw + j] = (float) t[j];
    }
    if (wi >= 0) {
      if (row.isNullAt(wi)) {
        b.dropLast();
        return "weight is null";
      }
      double w = ((Number) row.get(wi)).doubleValue();
      if (!(w >= 0) || Double.isInfinite(w)) {
        b.dropLast();
        return "weight is " + w + "; example weights must be finite and >= 0";
      }
      b.w()[r] = (float) w;
    }
    return null;
  }

  private static double[] labels(Object l) {
    if (l instanceof Number) return new double[] {((Number) l).doubleValue()};
    if (l instanceof Vector) return ((Vector) l).toArray();
    if (l instanceof scala.collection.Seq) {
      scala.collection.Seq<?> s = (scala.collection.Seq<?>) l;
      double[] out = new double[s.size()];
      for (int i = 0; i < out.length; i++) out[i] = s.apply(i) == null ? Double.NaN : ((Number) s.apply(i)).doubleValue();
      return out;
    }
    throw new IllegalArgumentException("label value " + l + " is not numeric");
  }
}
