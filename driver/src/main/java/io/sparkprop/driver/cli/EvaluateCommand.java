package io.sparkprop.driver.cli;

import io.sparkprop.driver.job.ModelJob;
import io.sparkprop.driver.job.Session;
import io.sparkprop.driver.job.TrainingJob;
import io.sparkprop.driver.loop.Evaluator;
import java.util.concurrent.Callable;
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

  /**
   * Per-class precision, recall, F1 and support, then the confusion matrix (rows: true class,
   * columns: predicted), each class named by the model's labels when it has them.
   */
  static String perClass(long[][] m, java.util.List<String> labels) {
    int k = m.length;
    String[] name = new String[k];
    int width = 5;
    for (int c = 0; c < k; c++) {
      name[c] = labels != null ? labels.get(c) : Integer.toString(c);
      width = Math.max(width, name[c].length());
    }
    StringBuilder b = new StringBuilder(String.format("%n%-" + width + "s  precision  recall      F1  support%n", "class"));
    for (int c = 0; c < k; c++) {
      long tp = m[c][c];
      long predicted = 0;
      long actual = 0;
      for (int j = 0; j < k; j++) {
        predicted += m[j][c];
        actual += m[c][j];
      }
      double p = predicted == 0 ? 0 : (double) tp / predicted;
      double r = actual == 0 ? 0 : (double) tp / actual;
      double f1 = p + r == 0 ? 0 : 2 * p * r / (p + r);
      b.append(String.format("%-" + width + "s  %9.4f  %6.4f  %6.4f  %7d%n", name[c], p, r, f1, actual));
    }
    b.append(String.format("%nconfusion matrix (rows: true class, columns: predicted)%n%-" + width + "s", ""));
    for (int c = 0; c < k; c++) b.append(' ').append(String.format("%" + Math.max(6, name[c].length()) + "s", name[c]));
    b.append('\n');
    for (int r = 0; r < k; r++) {
      b.append(String.format("%-" + width + "s", name[r]));
      for (int c = 0; c < k; c++) b.append(' ').append(String.format("%" + Math.max(6, name[c].length()) + "d", m[r][c]));
      b.append('\n');
    }
    return b.toString();
  }

  @Override
  public Integer call() {
    try (Session spark = Session.open(common.master, "sparkprop evaluate", common.logLevel())) {
      ModelJob job = new ModelJob(spark, model, data, common.sets);
      boolean perClass = job.model.spec().head() == io.sparkprop.trainer.nn.Head.SOFTMAX_CROSS_ENTROPY && !common.quiet;
      Evaluator.Evaluation e = Evaluator.evaluate(spark.jsc(), job.spec,
          job.model.params(), job.data, "evaluate", perClass);
      java.io.PrintStream out = common.out();
      out.println(TrainingJob.describe(e.sums(), job.model.spec()));
      if (perClass) out.print(perClass(e.confusion(), job.model.labels()));
      job.data.unpersist();
      return Sparkprop.OK;
    }
  }
}
