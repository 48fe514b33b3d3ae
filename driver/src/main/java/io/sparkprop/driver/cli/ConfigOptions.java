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

  File configFile;
}
