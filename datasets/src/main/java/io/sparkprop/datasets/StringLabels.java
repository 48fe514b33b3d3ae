package io.sparkprop.datasets;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * A deterministic mapping of string class labels to indices: the distinct labels sorted by their
 * natural (UTF-16) order get 0, 1, 2, ... The mapping is stored with the model so that prediction
 * turns indices back into the same strings.
 */
public final class StringLabels implements Serializable {
  private static final long serialVersionUID = 1L;
  private final List<String> labels;
  private final Map<String, Integer> index;

  public StringLabels(List<String> labels) {
    this.labels = List.copyOf(labels);
    this.index = new HashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      if (index.put(labels.get(i), i) != null) {
        throw new IllegalArgumentException("label '" + labels.get(i) + "' appears twice in " + labels);
      }
    }
  }

  /** The sorted distinct non-null values of a string column (one distributed pass). */
  public static StringLabels fit(Dataset<Row> df, String column) {
    List<String> out = new ArrayList<>();
    for (Row r : df.select(column).where(functions.col(column).isNotNull()).distinct().collectAsList()) {
      out.add(r.getString(0));
    }
    if (out.size() < 2) {
      throw new IllegalArgumentException("label column '" + column + "' holds " + out.size()
          + " distinct value(s) " + out + "; classification needs at least 2");
    }
    Collections.sort(out);
    return new StringLabels(out);
  }

  /** Adds {@code column + "_index"} (double) holding each row's label index; unknown labels fail the job. */
  public Dataset<Row> transform(Dataset<Row> df, String column, String output) {
    Map<String, Integer> m = index;
    List<String> known = labels;
    df.sparkSession().udf().register("sparkprop_label_index", (org.apache.spark.sql.api.java.UDF1<String, Double>) s -> {
      Integer i = s == null ? null : m.get(s);
      if (i == null) {
        throw new BadRowException("label '" + s + "'", "is not one of the " + known.size() + " known labels "
            + (known.size() <= 20 ? known : known.subList(0, 20) + "..."));
      }
      return (double) i;
    }, DataTypes.DoubleType);
    return df.withColumn(output, functions.callUDF("sparkprop_label_index", functions.col(column)));
  }

  public int size() {
    return labels.size();
  }

  /** The string of class index i. */
  public String label(int i) {
    return labels.get(i);
  }

  public int indexOf(String label) {
    Integer i = index.get(label);
    if (i == null) throw new IllegalArgumentException("label '" + label + "' is not one of " + labels);
    return i;
  }

  public List<String> labels() {
    return labels;
  }
}
