package io.sparkprop.datasets;

import java.io.Serializable;
import java.util.Objects;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * LibSVM / SVMlight text: {@code label index:value index:value ...}, indices 1-based and strictly
 * ascending, absent features 0, '#' starting a comment. The label field is one number (a class
 * index or a regression value) or, for multi-label targets, a comma-separated list of the 0-based
 * labels that are on. The feature count is declared, or inferred from the largest index in the
 * data (one extra pass).
 *
 * <p>Binary LibSVM files often use -1/+1 labels; those break the class-label rule, and the
 * message says to map them (e.g. with sed) or to read them as regression targets.
 */
public final class LibSvmReader {
  private LibSvmReader() {}

  /**
   * @param features declared feature count, or 0 to infer it from the data
   * @param targets what the label field means (REGRESSION must have width 1)
   */
  public record Options(int features, Targets targets, BadRows badRows, int minPartitions) implements Serializable {
    public Options {
      Objects.requireNonNull(targets, "targets");
      Objects.requireNonNull(badRows, "bad-row policy");
      if (features < 0) throw new IllegalArgumentException("feature count must be >= 0 (0: infer), got " + features);
      if (targets.kind() == Targets.Kind.REGRESSION && targets.width() != 1) {
        throw new IllegalArgumentException("a LibSVM line holds one regression value, not " + targets.width());
      }
    }
  }

  public static ExampleSet read(JavaSparkContext sc, String path, Options o) {
    int d = o.features() > 0 ? o.features() : inferFeatures(sc, path, o);
    LongAccumulator dropped = sc.sc().longAccumulator("sparkprop rows dropped: " + path);
    int tw = o.targets().targetWidth();
    TextLines.SplitParser<io.sparkprop.trainer.data.Examples> parser = (lines, where) -> {
      BlockBuilder b = new BlockBuilder(d, tw, false);
      while (lines.hasNext()) {
        TextLines.Line line = lines.next();
        String text = stripComment(line.text());
        if (text.isBlank()) continue;
        String problem = parseRow(text, d, o.targets(), b);
        if (problem != null) TextLines.reject(line, problem, o.badRows(), dropped, where);
      }
      return b.build();
    };
    return new ExampleSet(TextLines.parse(sc, path, o.minPartitions(), parser), d, tw, "LibSVM " + path, dropped);
  }

  /** The largest feature index in the data (one pass; malformed lines are left to the real read). */
  static int inferFeatures(JavaSparkContext sc, String path, Options o) {
    TextLines.SplitParser<Integer> maxIndex = (lines, where) -> {
      int max = 0;
      while (lines.hasNext()) {
        String[] tok = stripComment(lines.next().text()).trim().split("\\s+");
        for (int i = 1; i < tok.length; i++) {
          int colon = tok[i].indexOf(':');
          if (colon <= 0) continue;
          try {
            max = Math.max(max, Integer.parseInt(tok[i].substring(0, colon)));
          } catch (NumberFormatException e) {
            // reported with its line by the real read
          }
        }
      }
      return max;
    };
    int max = 0;
    for (int m : Rdds.collect(TextLines.parse(sc, path, o.minPartitions(), maxIndex))) max = Math.max(max, m);
    if (max == 0) {
      throw new IllegalArgumentException(path + " holds no LibSVM row with a feature (an empty file?); nothing to infer the feature "
          + "count from (data.features = 0)");
    }
    return max;
  }

  static String stripComment(String s) {
    int h = s.indexOf('#');
    return h >= 0 ? s.substring(0, h) : s;
  }

  /** Fills one row; returns null or the rule it breaks (the row is then removed). */
  static String parseRow(String text, int d, Targets targets, BlockBuilder b) {
    String[] tok = text.trim().split("\\s+");
    int r = b.addRow();
    int tw = targets.targetWidth();
    if (targets.kind() == Targets.Kind.MULTI_LABEL) {
      java.util.Arrays.fill(b.y(), r * tw, r * tw + tw, 0f);
      if (!tok[0].isEmpty()) {
        for (String part : tok[0].split(",")) {
          int j;
          try {
            j = Integer.parseInt(part);
          } catch (NumberFormatException e) {
            b.dropLast();
            return "label '" + tok[0] + "' is not a comma-separated list of label indices";
          }
          if (j < 0 || j >= tw) {
            b.dropLast();
            return "label index " + j + " in '" + tok[0] + "' is outside [0, " + tw + ")";
          }
          b.y()[r * tw + j] = 1f;
        }
      }
    } else {
      double v;
      try {
        v = Double.parseDouble(tok[0]);
      } catch (NumberFormatException e) {
        b.dropLast();
        return "label '" + tok[0] + "' is not a number";
      }
      String rule = targets.violation(v, 0);
      if (rule != null) {
        b.dropLast();
        return "label " + tok[0] + "; " + rule
            + (v == -1 && targets.kind() == Targets.Kind.CLASS_INDEX ? " (binary LibSVM files often use -1/+1: map -1 to 0)" : "");
      }
      b.y()[r * tw] = (float) v;
    }
    java.util.Arrays.fill(b.x(), r * d, r * d + d, 0f);
    int last = 0;
    for (int i = 1; i < tok.length; i++) {
      String t = tok[i];
      int colon = t.indexOf(':');
      if (colon <= 0 || colon == t.length() - 1) {
        b.dropLast();
        return "'" + t + "' is not of the form index:value";
      }
      int idx;
      float v;
      try {
        idx = Integer.parseInt(t.substring(0, colon));
      } catch (NumberFormatException e) {
        b.dropLast();
        return "index '" + t.substring(0, colon) + "' in '" + t + "' is not an integer";
      }
      try {
        v = Decimals.parseFloat(t.substring(colon + 1));
      } catch (NumberFormatException e) {
        b.dropLast();
        return "value '" + t.substring(colon + 1) + "' of feature " + idx + " is not a number";
      }
      if (idx < 1) {
        b.dropLast();
        return "feature index " + idx + " in '" + t + "'; LibSVM indices start at 1";
      }
      if (idx <= last) {
        b.dropLast();
        return "feature index " + idx + " follows " + last + "; indices must be strictly ascending";
      }
      if (idx > d) {
        b.dropLast();
        return "feature index " + idx + " exceeds the declared feature count " + d;
      }
      if (!Float.isFinite(v)) {
        b.dropLast();
        return "feature " + idx + " is " + v + "; features must be finite";
      }
      b.x()[r * d + idx - 1] = v;
      last = idx;
    }
    return null;
  }
}
