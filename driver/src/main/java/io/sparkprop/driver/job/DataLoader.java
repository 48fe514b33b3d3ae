package io.sparkprop.driver.job;

import io.sparkprop.datasets.BadRows;
import io.sparkprop.datasets.CsvReader;
import io.sparkprop.datasets.DataFrameSource;
import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.Generators;
import io.sparkprop.datasets.IdxReader;
import io.sparkprop.datasets.LibSvmReader;
import io.sparkprop.datasets.Targets;
import io.sparkprop.driver.config.ConfigError;
import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/** Reads the data a config names, with the targets its model implies. */
public final class DataLoader {
  private DataLoader() {}

  /** What the model's output means for the label columns. */
  static Targets targets(NetworkSpec net) {
    int k = net.outputSize();
    if (net.head() == Head.SOFTMAX_CROSS_ENTROPY) return Targets.classes(k);
    if (net.head() == Head.SIGMOID_BINARY_CROSS_ENTROPY) return Targets.multiLabel(k);
    return Targets.regression(k);
  }

  /**
   * Loads {@code path} in the configured format. For generated data {@code role} picks the seed
   * offset (train, validation, test) and the size.
   */
  public static ExampleSet load(Session spark, JobConfig cfg, String path, String role, int partitions) {
    return load(spark, cfg, path, role, partitions, false);
  }

  /** As above; {@code unlabeled} reads csv and Spark formats without label columns (targets 0), for predict. */
  static ExampleSet load(Session spark, JobConfig cfg, String path, String role, int partitions, boolean unlabeled) {
    return load(spark, cfg, path, role, partitions, unlabeled, null);
  }

  /** True when the config reads string class labels. */
  static boolean stringLabels(JobConfig cfg) {
    return cfg.settings().data().labelType().equals("string");
  }

  /**
   * The class names of the data at {@code path} (data.label-type = string), sorted, checked
   * against the network's output size.
   */
  static List<String> classNames(Session spark, JobConfig cfg, String path, int partitions) {
    String format = cfg.settings().data().format().toLowerCase(Locale.ROOT);
    if (format.equals("idx") || format.equals("libsvm") || format.equals("generated")) {
      throw new ConfigError("data.label-type = string reads class names from csv, parquet, orc or json; " + format
          + " labels are numbers");
    }
    JavaSparkContext sc = spark.jsc();
    List<String> names = format.equals("csv")
        ? CsvReader.classNames(sc, path, csvOptions(cfg, targets(cfg.network()), false, partitions))
        : io.sparkprop.datasets.StringLabels.fit(DataFrameSource.frame(spark.spark(), format, path, Map.of()), labelColumn(cfg)).labels();
    int k = cfg.network().outputSize();
    if (names.size() != k) {
      throw new ConfigError(path + " holds " + names.size() + " distinct labels " + (names.size() <= 20 ? names.toString() : "")
          + " but model.layers ends with " + k + " outputs; set its last entry to " + names.size());
    }
    return names;
  }

  private static CsvReader.Options csvOptions(JobConfig cfg, Targets targets, boolean unlabeled, int parts) {
    String w = cfg.settings().data().weightColumn();
    BadRows bad = cfg.settings().data().badRows().equals("drop") ? BadRows.DROP : BadRows.FAIL;
    return new CsvReader.Options(cfg.settings().data().delimiter().charAt(0), cfg.settings().data().header(),
        unlabeled ? List.of() : cfg.settings().data().labelColumns(), cfg.settings().data().featureColumns(),
        w.isEmpty() || unlabeled ? null : w, targets, bad, parts);
  }

  /** As above; {@code classNames} (or null) read the csv label column as those strings. */
  static ExampleSet load(Session spark, JobConfig cfg, String path, String role, int partitions, boolean unlabeled,
      List<String> classNames) {
    JavaSparkContext sc = spark.jsc();
    NetworkSpec net = cfg.network();
    Targets targets = targets(net);
    String format = cfg.settings().data().format().toLowerCase(Locale.ROOT);
    BadRows bad = cfg.settings().data().badRows().equals("drop") ? BadRows.DROP : BadRows.FAIL;
    int parts = Math.max(1, partitions);
    switch (format) {
      case "generated":
        return generate(sc, cfg, role, parts);
      case "idx":
        return IdxReader.read(sc, idxFile(sc.hadoopConfiguration(), path, "images-idx3-ubyte"),
            idxFile(sc.hadoopConfiguration(), path, "labels-idx1-ubyte"), parts);
      case "csv": {
        CsvReader.Options o = csvOptions(cfg, targets, unlabeled, parts);
        return CsvReader.read(sc, path, classNames == null || unlabeled ? o : o.withClassNames(classNames));
      }
      case "libsvm":
        return LibSvmReader.read(sc, path, new LibSvmReader.Options(cfg.settings().data().features(),
            targets, bad, parts));
      default: {
        List<String> f = cfg.settings().data().featureColumns();
        String w = cfg.settings().data().weightColumn();
        String features = f.isEmpty() ? "features" : f.get(0);
        String weight = w.isEmpty() || unlabeled ? null : w;
        if (classNames != null && !unlabeled) { // string class names: mapped to their indices first
          String indexCol = "sparkprop_label_index";
          org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> df = new io.sparkprop.datasets.StringLabels(classNames)
              .transform(DataFrameSource.frame(spark.spark(), format, path, Map.of()), labelColumn(cfg), indexCol);
          ExampleSet s = DataFrameSource.from(df, new DataFrameSource.Options(features, indexCol, weight, targets, bad));
          return s.withBlocks(s.blocks(), format + " " + path);
        }
        return DataFrameSource.read(spark.spark(), format, path, Map.of(), new DataFrameSource.Options(features,
            unlabeled ? null : labelColumn(cfg), weight, targets, bad));
      }
    }
  }

  /** The label column of a Spark-format source: the first data.label-columns entry. */
  static String labelColumn(JobConfig cfg) {
    List<String> l = cfg.settings().data().labelColumns();
    return l.isEmpty() ? "label" : l.get(0);
  }

  /** P-images-idx3-ubyte.gz or P-images-idx3-ubyte, whichever exists. */
  static String idxFile(Configuration conf, String prefix, String suffix) {
    String plain = prefix + "-" + suffix;
    try {
      Path gz = new Path(plain + ".gz");
      if (gz.getFileSystem(conf).exists(gz)) return plain + ".gz";
    } catch (java.io.IOException e) {
      // fall through to the plain name, whose reader reports the problem
    }
    return plain;
  }

  static ExampleSet generate(JavaSparkContext sc, JobConfig cfg, String role, int parts) {
    long structure = cfg.settings().training().seed(); // the same centres / teacher for every role
    long seed = structure * 31 + role.hashCode();                    // other rows for each role
    long rows = cfg.settings().data().generator().rows();
    if (!role.equals("train")) rows = Math.max(1, rows / 4);
    double noise = cfg.settings().data().generator().noise();
    int d = cfg.settings().data().generator().features();
    int k = cfg.settings().data().generator().classes();
    int hidden = cfg.settings().data().generator().hidden();
    String name = cfg.settings().data().generator().name().toLowerCase(Locale.ROOT);
    NetworkSpec net = cfg.network();
    ExampleSet s;
    switch (name) {
      case "xor": s = Generators.xor(sc, rows, noise, parts, seed); break;
      case "moons": s = Generators.moons(sc, rows, noise, parts, seed); break;
      case "spirals": s = Generators.spirals(sc, rows, cfg.settings().data().generator().arms(),
          cfg.settings().data().generator().turns(), noise, parts, seed); break;
      case "blobs": s = Generators.blobs(sc, rows, d, k, 3.0, parts, structure, seed); break;
      case "teacher": s = Generators.teacher(sc, rows, d, hidden, k, false, parts, structure, seed); break;
      case "teacher-regression": s = Generators.teacher(sc, rows, d, hidden, k, true, parts, structure, seed); break;
      default: throw new ConfigError("data.generator.name = '" + name + "'; expected xor, moons, spirals, blobs, teacher or teacher-regression");
    }
    if (s.features() != net.inputSize()) {
      throw new ConfigError("data.generator " + name + " makes " + s.features() + " features but model.layers starts with "
          + net.inputSize() + "; set model.layers = [" + s.features() + ", ...]");
    }
    return s;
  }
}
