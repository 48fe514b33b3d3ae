package io.sparkprop.driver.cli;

import io.sparkprop.driver.config.ConfigError;
import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.model.Model;
import io.sparkprop.driver.model.ModelFiles;
import io.sparkprop.driver.registry.Registry;
import java.io.IOException;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sparkprop train --config FILE [--set KEY=VALUE]... [--master URL] [--fresh]}. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Train a model as the config says; print a line per epoch, write metrics, a report and the model.",
        "With output.checkpoints set, rerunning the same command resumes from the newest valid checkpoint."})
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "HOCON job config, a local file or any Hadoop path (conf/*.conf); keys in docs/configuration.md")
  String config;

  @Option(names = "--fresh", description = "Delete the checkpoints in output.checkpoints and start over instead of resuming")
  boolean fresh;

  @Mixin ConfigOptions common = new ConfigOptions();

  @Override
  public Integer call() {
    JobConfig cfg = JobConfig.load(config, common.sets);
    try (Session spark = Session.open(common.master, cfg.string("run.name"), common.logLevel())) {
      run(spark, cfg, common.out(), fresh);
      return Sparkprop.OK;
    }
  }

  /** The whole training job; returns the saved (or unsaved) model. */
  static Model run(Session spark, JobConfig cfg, java.io.PrintStream out, boolean fresh) {
    Configuration hadoop = spark.sc().hadoopConfiguration();
    String modelOut = cfg.string("output.model").replace("{time}",
        java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (!modelOut.isEmpty()) {
      try {
        Path p = new Path(modelOut);
        if (p.getFileSystem(hadoop).exists(p)) {
          throw new ConfigError("output.model " + modelOut + " already exists; models are never overwritten: choose a new directory");
        }
      } catch (IOException e) {
        throw new ConfigError("output.model " + modelOut + ": " + e.getMessage());
      }
    }
    String initFrom = cfg.string("training.init-from");
    if (!initFrom.isEmpty()) initFrom = Registry.resolveModelDir(initFrom, hadoop);
    try (TrainingJob.Result r = TrainingJob.run(spark, cfg, out, fresh, initFrom)) {
      if (!modelOut.isEmpty()) {
        boolean withOptimizer = cfg.bool("output.save-optimizer-state");
        ModelFiles.save(r.model, modelOut, hadoop, withOptimizer ? r.optimizer : null, r.spec.optimizer().kind().name());
        out.println("model written to " + modelOut + (withOptimizer ? " (with optimizer state)" : ""));
      }
      return r.model;
    }
  }
}
