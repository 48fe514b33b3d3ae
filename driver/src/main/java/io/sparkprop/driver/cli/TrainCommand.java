package io.sparkprop.driver.cli;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.datasets.Splits;
import io.sparkprop.driver.DistributedTrainer;
import io.sparkprop.driver.EpochReport;
import io.sparkprop.driver.FitOptions;
import io.sparkprop.driver.FitResult;
import io.sparkprop.driver.PackedData;
import io.sparkprop.driver.config.ConfigError;
import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.model.Model;
import io.sparkprop.driver.model.ModelFiles;
import io.sparkprop.driver.report.RunReport;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.OptimizerState;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sparkprop train --config FILE [--set KEY=VALUE]... [--master URL]}. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a model as the config says; print a line per epoch, write metrics, a report and the model.")
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "HOCON job config (conf/*.conf); keys in docs/configuration.md")
  File config;

  @Mixin ConfigOptions common = new ConfigOptions();

  @Override
  public Integer call() {
    JobConfig cfg = JobConfig.load(config, common.sets);
    SparkSession spark = Sessions.open(common.master, cfg.string("run.name"));
    try {
      run(spark, cfg, System.out);
      return Sparkprop.OK;
    } finally {
      spark.stop();
    }
  }

  /** The whole training job; returns the saved (or unsaved) model. */
  static Model run(SparkSession spark, JobConfig cfg, java.io.PrintStream out) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String runName = cfg.string("run.name");
    NetworkSpec net = cfg.network();
    int partitions = cfg.integer("training.partitions", 0, 1 << 20);
    if (partitions == 0) partitions = sc.defaultParallelism();
    String modelOut = cfg.string("output.model").replace("{time}",
        java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (!modelOut.isEmpty()) {
      try {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(modelOut);
        if (p.getFileSystem(sc.hadoopConfiguration()).exists(p)) {
          throw new ConfigError("output.model " + modelOut + " already exists; models are never overwritten: choose a new directory");
        }
      } catch (java.io.IOException e) {
        throw new ConfigError("output.model " + modelOut + ": " + e.getMessage());
      }
    }
    out.println("sparkprop " + ModelFiles.sparkpropVersion() + ": run " + runName + ", network " + net + ", master "
        + sc.master() + ", " + partitions + " partitions");
    out.println("effective config: " + cfg.renderCompact());

    ExampleSet train = DataLoader.load(spark, cfg, cfg.string("data.train"), "train", partitions);
    ExampleSet validation = null;
    String valPath = cfg.string("data.validation");
    double fraction = cfg.number("data.validation-fraction", 0, 0.99, true);
    if (!valPath.isEmpty() || cfg.string("data.format").equals("generated")) {
      validation = DataLoader.load(spark, cfg, valPath, "validation", partitions);
    } else if (fraction > 0) {
      ExampleSet[] s = Splits.trainValidation(train, fraction, cfg.longValue("training.seed", Long.MIN_VALUE));
      train = s[0];
      validation = s[1];
    }
    String testPath = cfg.string("data.test");
    ExampleSet test = !testPath.isEmpty() || cfg.string("data.format").equals("generated")
        ? DataLoader.load(spark, cfg, testPath, "test", partitions) : null;

    if (train.blocks().getNumPartitions() > partitions) {
      train = train.withBlocks(train.blocks().coalesce(partitions), train.description());
    }
    FeatureScaling scaling = FeatureScaling.fit(FeatureScaling.parseKind(cfg.string("data.scaling")), train);
    train = scaling.apply(train);
    if (validation != null) validation = scaling.apply(validation);
    if (test != null) test = scaling.apply(test);

    PackedData trainData = PackedData.pack(train, net, StorageLevel.MEMORY_AND_DISK());
    if (train.droppedRows() > 0) out.println("dropped " + train.droppedRows() + " bad training rows (data.bad-rows = drop)");
    PackedData valData = validation == null ? null : PackedData.pack(validation, net, StorageLevel.MEMORY_AND_DISK());
    PackedData testData = test == null ? null : PackedData.pack(test, net, StorageLevel.MEMORY_AND_DISK());
    out.printf("data: %d training examples (%.1f MB cached)%s%s%n", trainData.rows(), trainData.bytes() / 1e6,
        valData == null ? "" : ", " + valData.rows() + " validation", testData == null ? "" : ", " + testData.rows() + " test");

    int batch = cfg.integer("training.batch-size", 1, Integer.MAX_VALUE);
    long spe = cfg.bool("training.drop-last") ? trainData.rows() / batch : (trainData.rows() + batch - 1) / batch;
    if (spe == 0) {
      throw new ConfigError("training.batch-size = " + batch + " with drop-last leaves no batch of " + trainData.rows() + " examples");
    }
    TrainingSpec spec = cfg.trainingSpec(spe);
    DistributedTrainer trainer;
    String initFrom = cfg.string("training.init-from");
    if (initFrom.isEmpty()) {
      trainer = new DistributedTrainer(sc, spec, trainData, runName);
    } else {
      Model start = ModelFiles.load(initFrom, sc.hadoopConfiguration());
      if (!start.spec().equals(net)) {
        throw new ConfigError("training.init-from " + initFrom + " holds network " + start.spec() + " but model.* describes "
            + net + "; warm starts need the same architecture");
      }
      out.println("warm start from " + initFrom);
      trainer = new DistributedTrainer(sc, spec, trainData, runName, start.params(),
          spec.optimizer().initialise(net.paramCount()));
    }

    int epochs = cfg.integer("training.epochs", 1, 1_000_000);
    RunOutput output = new RunOutput(cfg.string("output.dir"), out, epochs, net.head().isClassification(),
        cfg.bool("output.step-metrics"), trainer.plan().stepsPerEpoch());
    FitResult result;
    try {
      result = trainer.fit(new FitOptions(epochs, valData, cfg.integer("training.eval-every", 1, 1 << 20),
          cfg.integer("training.patience", 0, 1 << 20)), output::epoch, output::step);
    } finally {
      output.close();
    }
    float[] params = result.params();
    Map<String, Double> metrics = new LinkedHashMap<>();
    EpochReport last = result.history().get(result.history().size() - 1);
    metrics.put("train_loss", last.trainLoss());
    EvalSums valSums = valData == null ? null : DistributedTrainer.evaluate(sc, spec, params, valData, runName);
    if (valSums != null) put(metrics, "validation", valSums, net);
    EvalSums testSums = testData == null ? null : DistributedTrainer.evaluate(sc, spec, params, testData, runName);
    if (testSums != null) {
      put(metrics, "test", testSums, net);
      out.println("test: " + describe(testSums, net));
    }

    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put("run", runName);
    provenance.put("seed", Long.toString(spec.seed()));
    provenance.put("trainingData", train.description());
    provenance.put("trainingRows", Long.toString(trainData.rows()));
    provenance.put("epochs", Integer.toString(result.history().size()));
    provenance.put("config", cfg.renderCompact());
    if (!initFrom.isEmpty()) provenance.put("initFrom", initFrom);
    Model model = new Model(net, params, scaling, null, provenance, metrics);
    if (!modelOut.isEmpty()) {
      ModelFiles.save(model, modelOut, sc.hadoopConfiguration());
      out.println("model written to " + modelOut);
    }
    PackedData reportData = testData != null ? testData : valData;
    RunReport.write(cfg.string("output.dir"), runName, model, result.history(),
        reportData == null ? null : RunReport.confusion(sc, spec, params, reportData), out);
    trainData.unpersist();
    if (valData != null) valData.unpersist();
    if (testData != null) testData.unpersist();
    return model;
  }

  static void put(Map<String, Double> m, String prefix, EvalSums s, NetworkSpec net) {
    m.put(prefix + "_loss", s.meanLoss());
    if (net.head().isClassification()) {
      m.put(prefix + "_accuracy", s.accuracy());
    } else {
      m.put(prefix + "_mse", s.mse());
      m.put(prefix + "_mae", s.mae());
    }
  }

  static String describe(EvalSums s, NetworkSpec net) {
    return net.head().isClassification()
        ? String.format("accuracy %.4f, log loss %.4f (%d examples)", s.accuracy(), s.meanLoss(), s.count())
        : String.format("MSE %.5f, MAE %.5f (%d examples)", s.mse(), s.mae(), s.count());
  }
}
