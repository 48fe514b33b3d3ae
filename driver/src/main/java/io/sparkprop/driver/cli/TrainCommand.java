package io.sparkprop.driver.cli;

import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.job.Session;
import io.sparkprop.driver.job.TrainingJob;
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
    try (Session spark = Session.open(common.master, cfg.settings().run().name(), common.logLevel())) {
      TrainingJob.trainAndSave(spark, cfg, common.out(), fresh);
      return Sparkprop.OK;
    }
  }
}
