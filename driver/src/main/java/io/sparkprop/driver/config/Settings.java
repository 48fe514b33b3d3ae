package io.sparkprop.driver.config;

import java.util.List;
import java.util.Locale;

/**
 * A job's settings, resolved once from the config when it loads: every key that the pipeline and
 * the commands read, typed, each bound stated here and nowhere else (an out-of-range value fails
 * the load with the message of {@link JobConfig#integer} and its siblings). Nothing below the
 * command layer reads a key by its name.
 */
public record Settings(Run run, Data data, Training training, Output output, Registry registry) {

  /** The run's name. */
  public record Run(String name) {}

  /** Where the data are and how to read them. */
  public record Data(boolean header, int features, double validationFraction, String badRows, String delimiter,
      String format, String labelType, String scaling, String test, String train, String validation,
      String weightColumn, List<String> labelColumns, List<String> featureColumns, Generator generator) {}

  /** The synthetic data set of data.format = generated. */
  public record Generator(int arms, int classes, int features, int hidden, int rows, double noise, double turns,
      String name) {}

  /** How the run trains beyond the network and optimizer (those are {@link JobConfig#trainingSpec}). */
  public record Training(boolean dropLast, boolean initOptimizer, int batchSize, int blockRows, int epochs,
      int evalEvery, int maxRollbacks, int partitions, int patience, int stepsPerJob, long seed,
      double divergenceLrFactor, String initFrom, String onDivergence) {}

  /** Where the model, reports and checkpoints go. */
  public record Output(boolean saveOptimizerState, boolean stepMetrics, int keepCheckpoints,
      long checkpointEverySteps, double checkpointEverySeconds, String checkpoints, String dir, String model) {}

  /** retrain's gate and the registry's upkeep. */
  public record Registry(int keep, double lockTimeoutSeconds, double tolerance, String metric) {}

  static Settings resolve(JobConfig c) {
    Run run = new Run(c.string("run.name"));
    Generator generator = new Generator(c.integer("data.generator.arms", 2, 1000),
        c.integer("data.generator.classes", 1, 1 << 20),
        c.integer("data.generator.features", 1, 1 << 20),
        c.integer("data.generator.hidden", 1, 1 << 20),
        c.integer("data.generator.rows", 1, Integer.MAX_VALUE),
        c.number("data.generator.noise", 0, 1e6, true),
        c.number("data.generator.turns", 0, 1000, false),
        c.string("data.generator.name"));
    Data data = new Data(c.bool("data.header"),
        c.integer("data.features", 0, Integer.MAX_VALUE),
        c.number("data.validation-fraction", 0, 0.99, true),
        c.string("data.bad-rows"),
        c.string("data.delimiter"),
        c.string("data.format"),
        c.string("data.label-type"),
        c.string("data.scaling"),
        c.string("data.test"),
        c.string("data.train"),
        c.string("data.validation"),
        c.string("data.weight-column"),
        c.strings("data.label-columns"),
        c.strings("data.feature-columns"),
        generator);
    Training training = new Training(c.bool("training.drop-last"),
        c.bool("training.init-optimizer"),
        c.integer("training.batch-size", 1, Integer.MAX_VALUE),
        c.integer("training.block-rows", 1, 1 << 20),
        c.integer("training.epochs", 1, 1_000_000),
        c.integer("training.eval-every", 1, 1 << 20),
        c.integer("training.max-rollbacks", 0, 1000),
        c.integer("training.partitions", 0, 1 << 20),
        c.integer("training.patience", 0, 1 << 20),
        c.integer("training.steps-per-job", 0, 1 << 30),
        c.longValue("training.seed", Long.MIN_VALUE),
        c.number("training.divergence-lr-factor", 0, 0.999999, false),
        c.string("training.init-from"),
        c.string("training.on-divergence"));
    Output output = new Output(c.bool("output.save-optimizer-state"),
        c.bool("output.step-metrics"),
        c.integer("output.keep-checkpoints", 1, 1_000_000),
        c.longValue("output.checkpoint-every-steps", 0),
        c.number("output.checkpoint-every-seconds", 0, 1e9, true),
        c.string("output.checkpoints"),
        c.string("output.dir"),
        c.string("output.model"));
    Registry registry = new Registry(c.integer("registry.keep", 2, 1_000_000),
        c.number("registry.lock-timeout-seconds", 1, 1e9, false),
        c.number("registry.tolerance", 0, 1e12, true),
        c.string("registry.metric"));
    check(c);
    return new Settings(run, data, training, output, registry);
  }

  /** The keys whose values are names from a fixed set, and the ones that must agree with the network's output. */
  private static void check(JobConfig c) {
    String fmt = c.string("data.format").toLowerCase(Locale.ROOT);
    if (fmt.isEmpty()) throw new ConfigError("data.format is empty; expected idx, libsvm, csv, parquet or generated");
    if (!fmt.equals("generated") && c.string("data.train").isEmpty()) {
      throw new ConfigError("data.train is empty; give the training data path (data.format = " + fmt + ")");
    }
    String labelType = c.string("data.label-type");
    if (!labelType.equals("numeric") && !labelType.equals("string")) {
      throw new ConfigError("data.label-type = '" + labelType + "'; expected numeric or string");
    }
    if (labelType.equals("string") && c.network().head() != io.sparkprop.trainer.nn.Head.SOFTMAX_CROSS_ENTROPY) {
      throw new ConfigError("data.label-type = string names classes; it needs model.output = softmax, not "
          + c.network().head().configName());
    }
    String bad = c.string("data.bad-rows");
    if (!bad.equals("fail") && !bad.equals("drop")) throw new ConfigError("data.bad-rows = '" + bad + "'; expected fail or drop");
    String delim = c.string("data.delimiter");
    if (delim.length() != 1) throw new ConfigError("data.delimiter = '" + delim + "' must be exactly one character");
    try {
      io.sparkprop.datasets.FeatureScaling.parseKind(c.string("data.scaling"));
    } catch (IllegalArgumentException e) {
      throw new ConfigError("data.scaling: " + e.getMessage());
    }
    String div = c.string("training.on-divergence");
    if (!div.equals("stop") && !div.equals("rollback")) {
      throw new ConfigError("training.on-divergence = '" + div + "'; expected stop or rollback");
    }
    String metric = c.string("registry.metric");
    if (!List.of("auto", "accuracy", "log-loss", "mse", "mae").contains(metric)) {
      throw new ConfigError("registry.metric = '" + metric + "'; expected auto, accuracy, log-loss, mse or mae");
    }
    boolean classification = c.network().head().isClassification();
    if (classification ? metric.equals("mse") || metric.equals("mae") : metric.equals("accuracy") || metric.equals("log-loss")) {
      throw new ConfigError("registry.metric = " + metric + " does not fit a " + c.network().head().configName() + " output; use "
          + (classification ? "accuracy or log-loss" : "mse or mae"));
    }
  }
}
