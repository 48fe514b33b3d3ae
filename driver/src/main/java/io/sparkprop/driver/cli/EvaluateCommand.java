package io.sparkprop.driver.cli;

import io.sparkprop.driver.DistributedTrainer;
import io.sparkprop.trainer.nn.EvalSums;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sparkprop evaluate --model DIR --data PATH [--set ...]}: prints the task's metrics. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Print a model's metrics on data read the way its training data was (override with --set data.*).")
final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a registry (its current version)")
  String model;

  @Option(names = "--data", required = true, paramLabel = "PATH", description = "Data to evaluate on (Hadoop path)")
  String data;

  @Mixin ConfigOptions common = new ConfigOptions();

  @Override
  public Integer call() {
    SparkSession spark = Sessions.open(common.master, "sparkprop evaluate", common.logLevel());
    try {
      ModelJob job = new ModelJob(spark, model, data, common.sets);
      EvalSums s = DistributedTrainer.evaluate(JavaSparkContext.fromSparkContext(spark.sparkContext()), job.spec,
          job.model.params(), job.data, "evaluate");
      System.out.println(TrainingJob.describe(s, job.model.spec()));
      job.data.unpersist();
      return Sparkprop.OK;
    } finally {
      spark.stop();
    }
  }
}
