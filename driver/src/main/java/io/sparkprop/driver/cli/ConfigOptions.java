package io.sparkprop.driver.cli;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every subcommand shares. */
final class ConfigOptions {
  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable), e.g. --set training.epochs=5")
  List<String> sets = new ArrayList<>();

  @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: local[*], or spark-submit's)")
  String master;

  @Option(names = {"-q", "--quiet"}, description = "Print only the results (test metrics, where the model went) and errors")
  boolean quiet;

  @Option(names = {"-v", "--verbose"}, description = "Also print Spark's and Sparkprop's INFO logs")
  boolean verbose;

  /** The log level for Spark and Sparkprop these flags ask for. */
  String logLevel() {
    return verbose ? "INFO" : quiet ? "ERROR" : "WARN";
  }

  /** Standard output as the flags want it: all of it, or (quiet) only the result lines. */
  java.io.PrintStream out() {
    return quiet ? new ResultLines(System.out) : System.out;
  }

  File configFile;
}
