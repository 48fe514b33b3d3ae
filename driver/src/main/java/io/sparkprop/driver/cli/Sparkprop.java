package io.sparkprop.driver.cli;

import io.sparkprop.datasets.SparkFailures;
import io.sparkprop.driver.job.RunLostException;
import io.sparkprop.driver.job.Session;
import io.sparkprop.driver.model.ModelFiles;
import io.sparkprop.driver.tuning.CompilerDirectives;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code sparkprop} command line. Exit codes: 0 success; 2 bad input, data or config (also a
 * registry locked by another job); 3 a retraining gate refused to publish; 4 training diverged;
 * 1 anything else.
 */
@Command(name = "sparkprop", mixinStandardHelpOptions = true, versionProvider = Sparkprop.Version.class,
    description = "Trains multilayer perceptrons on Apache Spark by synchronous data-parallel minibatch SGD.",
    subcommands = {TrainCommand.class, RetrainCommand.class, EvaluateCommand.class, PredictCommand.class, ExportCommand.class,
        RegistryCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 success, 2 bad input/data/config or registry locked, 3 retraining gate refused,",
        "4 training diverged (non-finite loss, gradient or weight), 1 other failure."})
public final class Sparkprop implements Runnable {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int BAD_INPUT = 2;
  public static final int GATE_REFUSED = 3;
  public static final int DIVERGED = 4;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: train, retrain, evaluate, predict, export or registry");
  }

  /** Runs the CLI and returns the exit code (for tests; {@link #main} exits with it). */
  public static int execute(String... args) {
    CommandLine cl = new CommandLine(new Sparkprop());
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      Throwable e = ex;
      if (e instanceof Exception) e = SparkFailures.unwrapArgumentError((Exception) e);
      PrintWriter err = commandLine.getErr();
      if (e instanceof io.sparkprop.driver.loop.DivergenceException) {
        err.println("sparkprop: error: " + e.getMessage());
        err.flush();
        return DIVERGED;
      }
      if (e instanceof IllegalArgumentException) {
        err.println("sparkprop: error: " + e.getMessage());
        err.flush();
        return BAD_INPUT;
      }
      if (e instanceof RunLostException) { // Spark has logged its errors above; the cause's trace adds nothing for an operator
        err.println("sparkprop: failed: " + e.getMessage());
      } else if (io.sparkprop.driver.failure.JobFailures.isJobFailure(e)) {
        err.println("sparkprop: failed: Spark could not finish a job: " + io.sparkprop.driver.failure.JobFailures.summary(e));
      } else {
        err.println("sparkprop: failed: " + e);
        e.printStackTrace(err);
        err.println("sparkprop: failed: " + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
      }
      err.println("sparkprop: this is not a problem with the input (exit code 1). Spark's diagnostics are above; the full driver log"
          + " is this output, and the executors' logs are in the Spark UI (or `yarn logs -applicationId " + applicationId()
          + "`, the workers' work/ folders on a standalone cluster).");
      err.flush();
      return FAILED;
    });
    return cl.execute(args);
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl >= 0 ? s.substring(0, nl) : s;
  }

  /** The last Spark application's id, or a placeholder. */
  private static String applicationId() {
    String id = Session.lastApplicationId;
    return id != null ? id : "<application id>";
  }

  public static void main(String[] args) {
    CompilerDirectives.installForCommandLine(args);
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
