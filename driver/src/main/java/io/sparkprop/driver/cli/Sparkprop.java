package io.sparkprop.driver.cli;

import io.sparkprop.datasets.SparkFailures;
import io.sparkprop.driver.model.ModelFiles;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code sparkprop} command line. Exit codes: 0 success; 2 bad input, data or config;
 * 3 reserved for a retraining gate that refuses to publish; 1 anything else.
 */
@Command(name = "sparkprop", mixinStandardHelpOptions = true, versionProvider = Sparkprop.Version.class,
    description = "Trains multilayer perceptrons on Apache Spark by synchronous data-parallel minibatch SGD.",
    subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, ExportCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 success, 2 bad input/data/config, 3 retraining gate refused (reserved), 1 other failure."})
public final class Sparkprop implements Runnable {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int BAD_INPUT = 2;
  public static final int GATE_REFUSED = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: train, evaluate, predict or export");
  }

  /** Runs the CLI and returns the exit code (for tests; {@link #main} exits with it). */
  public static int execute(String... args) {
    CommandLine cl = new CommandLine(new Sparkprop());
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      Throwable e = ex;
      if (e instanceof Exception) e = SparkFailures.unwrapArgumentError((Exception) e);
      PrintWriter err = commandLine.getErr();
      if (e instanceof IllegalArgumentException) {
        err.println("sparkprop: error: " + e.getMessage());
        err.flush();
        return BAD_INPUT;
      }
      err.println("sparkprop: failed: " + e);
      e.printStackTrace(err);
      err.flush();
      return FAILED;
    });
    return cl.execute(args);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"sparkprop " + ModelFiles.sparkpropVersion() + " (Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION()
          + ", Java " + System.getProperty("java.version") + ")"};
    }
  }
}
