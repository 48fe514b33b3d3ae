package io.sparkprop.datasets;

import io.sparkprop.trainer.data.Examples;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Numeric CSV: one row per example, label column(s), feature columns and an optional weight
 * column, with or without a header. Columns are named by header name, or by 0-based index when
 * there is no header; the features default to every column that is not a label or the weight.
 * Fields are split on the delimiter and trimmed; surrounding double quotes are removed (quoted
 * fields containing the delimiter are not supported: read such files through Spark's CSV reader
 * and {@link DataFrameSource}). Empty lines are skipped.
 *
 * <p>Every rule breach names the file, the line, the column, the value and the rule.
 */
public final class CsvReader {
  private CsvReader() {}

  /**
   * @param delimiter field separator, e.g. ',' or '\t'
   * @param header whether the first line of every file names the columns
   * @param labels label column(s): names with a header, else 0-based indices; empty for unlabeled
   *     data (prediction), whose targets are then all 0
   * @param features feature columns (empty: all but labels and weight)
   * @param weight weight column, or null
   * @param targets what the labels mean
   * @param badRows fail or drop on a bad row
   * @param minPartitions lower bound on the number of partitions
   * @param classNames string class labels in index order (the label column holds these strings,
   *     read as their indices), or null for numeric labels
   */
  public record Options(char delimiter, boolean header, List<String> labels, List<String> features, String weight,
      Targets targets, BadRows badRows, int minPartitions, List<String> classNames) implements Serializable {
    public Options(char delimiter, boolean header, List<String> labels, List<String> features, String weight, Targets targets,
        BadRows badRows, int minPartitions) {
      this(delimiter, header, labels, features, weight, targets, badRows, minPartitions, null);
    }

    /** The same options reading the label column as these class names (index order). */
    public Options withClassNames(List<String> names) {
      return new Options(delimiter, header, labels, features, weight, targets, badRows, minPartitions, names);
    }

    public Options {
      if (classNames != null) {
        classNames = List.copyOf(classNames);
        if (targets.kind() != Targets.Kind.CLASS_INDEX) {
          throw new IllegalArgumentException("string labels name classes; they need a softmax output (one class per row)");
        }
      }
      Objects.requireNonNull(labels, "label columns");
      Objects.requireNonNull(features, "feature columns");
      Objects.requireNonNull(targets, "targets");
      Objects.requireNonNull(badRows, "bad-row policy");
      labels = List.copyOf(labels);
      features = List.copyOf(features);
      if (!labels.isEmpty() && labels.size() != targets.columns()) {
        throw new IllegalArgumentException(labels.size() + " label columns " + labels + " given but "
            + targets.kind().name().toLowerCase() + " with width " + targets.width() + " needs " + targets.columns());
      }
      if (delimiter == '"' || delimiter == '\n') {
        throw new IllegalArgumentException("delimiter " + (int) delimiter + " cannot separate CSV fields");
      }
    }
  }

  /** Resolved column positions, shipped to the tasks. */
  record Layout(int columns, int[] labels, int[] features, int weight, List<String> header) implements Serializable {}

  public static ExampleSet read(JavaSparkContext sc, String path, Options o) {
    List<String> files = TextLines.files(sc.hadoopConfiguration(), path);
    String first = firstLine(sc.hadoopConfiguration(), files.get(0));
    if (first == null) {
      throw new IllegalArgumentException(files.get(0) + " is empty; a CSV file needs "
          + (o.header() ? "a header and " : "") + "at least one row");
    }
    Layout layout = layout(split(first, o.delimiter()), o, files.get(0));
    LongAccumulator dropped = sc.sc().longAccumulator("sparkprop rows dropped: " + path);
    int d = layout.features().length;
    int tw = o.targets().targetWidth();
    TextLines.SplitParser<Examples> parser = (lines, where) -> {
      Fields fields = fields(o.delimiter());
      BlockBuilder b = new BlockBuilder(d, tw, layout.weight() >= 0);
      while (lines.hasNext()) {
        TextLines.Line line = lines.next();
        if (line.text().isBlank()) continue;
        if (o.header() && line.offset() == 0) {
          List<String> h = fields.split(line.text());
          if (!h.equals(layout.header())) {
            throw new BadRowException(line.file() + " line 1", "header " + h + " differs from the first file's "
                + layout.header() + "; all files of a data set must have the same columns");
          }
          continue;
        }
        String problem = parseRow(fields.split(line.text()), o, layout, b);
        if (problem != null) TextLines.reject(line, problem, o.badRows(), dropped, where);
      }
      return b.build();
    };
    return new ExampleSet(TextLines.parse(sc, path, o.minPartitions(), parser), d, tw, "CSV " + path, dropped);
  }

  /**
   * The distinct strings of the (first) label column, sorted: a deterministic class mapping
   * (index = position), fitted in one pass. Rows with another column count are left to the real
   * read, which reports them.
   */
  public static List<String> classNames(JavaSparkContext sc, String path, Options o) {
    if (o.labels().isEmpty()) throw new IllegalArgumentException("string labels need a label column");
    List<String> files = TextLines.files(sc.hadoopConfiguration(), path);
    String first = firstLine(sc.hadoopConfiguration(), files.get(0));
    if (first == null) {
      throw new IllegalArgumentException(files.get(0) + " is empty; a CSV file needs " + (o.header() ? "a header and " : "")
          + "at least one row");
    }
    Layout layout = layout(split(first, o.delimiter()), o, files.get(0));
    int col = layout.labels()[0];
    TextLines.SplitParser<java.util.TreeSet<String>> distinct = (lines, where) -> {
      Fields fields = fields(o.delimiter());
      java.util.TreeSet<String> seen = new java.util.TreeSet<>();
      while (lines.hasNext()) {
        TextLines.Line line = lines.next();
        if (line.text().isBlank() || (o.header() && line.offset() == 0)) continue;
        List<String> f = fields.split(line.text());
        if (f.size() == layout.columns()) seen.add(f.get(col));
      }
      return seen;
    };
    java.util.TreeSet<String> all = new java.util.TreeSet<>();
    for (java.util.TreeSet<String> part : Rdds.collect(TextLines.parse(sc, path, o.minPartitions(), distinct))) all.addAll(part);
    return new ArrayList<>(all);
  }

  /** Fills one row of the builder; returns null, or the rule the row breaks (the row is then removed). */
  static String parseRow(List<String> f, Options o, Layout layout, BlockBuilder b) {
    if (f.size() != layout.columns()) {
      return "has " + f.size() + " columns, expected " + layout.columns()
          + (layout.header() != null ? " (as in the header)" : " (as in the first line)");
    }
    int r = b.addRow();
    int d = layout.features().length;
    for (int i = 0; i < d; i++) {
      int c = layout.features()[i];
      String s = f.get(c);
      float v;
      try {
        v = Decimals.parseFloat(s);
      } catch (NumberFormatException e) {
        b.dropLast();
        return "column " + name(layout, c) + " holds '" + s + "', which is not a number";
      }
      if (!Float.isFinite(v)) {
        b.dropLast();
        return "feature column " + name(layout, c) + " is " + s + "; features must be finite";
      }
      b.x()[r * d + i] = v;
    }
    int tw = o.targets().targetWidth();
    for (int j = 0; j < layout.labels().length; j++) {
      int c = layout.labels()[j];
      String s = f.get(c);
      double v;
      if (o.classNames() != null) {
        int k = o.classNames().indexOf(s);
        if (k < 0) {
          b.dropLast();
          return "label column " + name(layout, c) + " holds '" + s + "', which is not one of the " + o.classNames().size()
              + " known classes " + o.classNames();
        }
        b.y()[r * tw + j] = k;
        continue;
      }
      try {
        v = Double.parseDouble(s);
      } catch (NumberFormatException e) {
        b.dropLast();
        return "label column " + name(layout, c) + " holds '" + s + "', which is not a number"
            + (o.targets().kind() == Targets.Kind.CLASS_INDEX ? " (for string class labels set data.label-type = string)" : "");
      }
      String rule = o.targets().violation(v, j);
      if (rule != null) {
        b.dropLast();
        return "label column " + name(layout, c) + " is " + s + "; " + rule;
      }
      b.y()[r * tw + j] = (float) v;
    }
    if (layout.weight() >= 0) {
      String s = f.get(layout.weight());
      float v;
      try {
        v = Decimals.parseFloat(s);
      } catch (NumberFormatException e) {
        b.dropLast();
        return "weight column " + name(layout, layout.weight()) + " holds '" + s + "', which is not a number";
      }
      if (!(v >= 0) || !Float.isFinite(v)) {
        b.dropLast();
        return "weight column " + name(layout, layout.weight()) + " is " + s + "; example weights must be finite and >= 0";
      }
      b.w()[r] = v;
    }
    return null;
  }

  private static String name(Layout l, int c) {
    return l.header() != null ? "'" + l.header().get(c) + "'" : Integer.toString(c);
  }

  static Layout layout(List<String> first, Options o, String file) {
    List<String> header = o.header() ? first : null;
    int n = first.size();
    int[] labels = new int[o.labels().size()];
    for (int j = 0; j < labels.length; j++) labels[j] = column(o.labels().get(j), header, n, file, "label");
    int weight = o.weight() == null ? -1 : column(o.weight(), header, n, file, "weight");
    int[] features;
    if (o.features().isEmpty()) {
      List<Integer> rest = new ArrayList<>();
      for (int c = 0; c < n; c++) {
        final int cc = c;
        if (c != weight && Arrays.stream(labels).noneMatch(l -> l == cc)) rest.add(c);
      }
      features = rest.stream().mapToInt(Integer::intValue).toArray();
    } else {
      features = new int[o.features().size()];
      for (int i = 0; i < features.length; i++) features[i] = column(o.features().get(i), header, n, file, "feature");
    }
    if (features.length == 0) throw new IllegalArgumentException(file + " has no feature columns left after the labels");
    return new Layout(n, labels, features, weight, header);
  }

  private static int column(String name, List<String> header, int n, String file, String role) {
    if (header != null) {
      int c = header.indexOf(name);
      if (c < 0) {
        throw new IllegalArgumentException(role + " column '" + name + "' is not in the header of " + file + ": " + header);
      }
      return c;
    }
    try {
      int c = Integer.parseInt(name.trim());
      if (c < 0 || c >= n) {
        throw new IllegalArgumentException(role + " column " + c + " is outside the " + n + " columns of " + file
            + " (columns are numbered from 0 when there is no header)");
      }
      return c;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(role + " column '" + name + "' must be a 0-based index: " + file
          + " is read without a header (set the header option if its first line names the columns)");
    }
  }

  /**
   * Splits one line as CSV (RFC 4180 as the world writes it, by univocity-parsers, which Spark
   * itself uses): fields may be quoted, a quoted field may hold the delimiter, a doubled quote
   * inside quotes is one quote, surrounding blanks are trimmed, a byte-order mark at the start of a
   * file and a CR before the line end are dropped. A quoted field cannot span lines (files are
   * split by lines to be read in parallel).
   */
  static List<String> split(String line, char delimiter) {
    return fields(delimiter).split(line);
  }

  /** A reusable splitter (one per task: the parser is not thread-safe). */
  static Fields fields(char delimiter) {
    return new Fields(delimiter);
  }

  /** Splits lines with one univocity parser. */
  static final class Fields {
    private final com.univocity.parsers.csv.CsvParser parser;

    Fields(char delimiter) {
      com.univocity.parsers.csv.CsvParserSettings s = new com.univocity.parsers.csv.CsvParserSettings();
      s.getFormat().setDelimiter(delimiter);
      s.getFormat().setQuote('"');
      s.getFormat().setQuoteEscape('"');
      s.getFormat().setLineSeparator("\n");
      s.setIgnoreLeadingWhitespaces(true);
      s.setIgnoreTrailingWhitespaces(true);
      s.setNullValue("");
      s.setEmptyValue("");
      s.setMaxCharsPerColumn(-1);
      s.setMaxColumns(1 << 20);
      s.setSkipEmptyLines(false);
      this.parser = new com.univocity.parsers.csv.CsvParser(s);
    }

    List<String> split(String line) {
      String l = line;
      if (!l.isEmpty() && l.charAt(0) == '\uFEFF') l = l.substring(1);
      if (l.endsWith("\r")) l = l.substring(0, l.length() - 1);
      String[] f = parser.parseLine(l);
      List<String> out = new ArrayList<>(f == null ? 1 : f.length);
      if (f == null) {
        out.add("");
        return out;
      }
      for (String v : f) out.add(v == null ? "" : v);
      return out;
    }
  }

  private static String firstLine(Configuration conf, String file) {
    Path p = new Path(file);
    try {
      java.io.InputStream in = p.getFileSystem(conf).open(p);
      CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(p);
      if (codec != null) in = codec.createInputStream(in);
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          if (!l.isBlank()) return l;
        }
        return null;
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
