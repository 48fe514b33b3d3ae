package io.sparkprop.driver.config;

/** A configuration value that is missing, unknown, malformed or out of range: the CLI exits with 2. */
public final class ConfigError extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ConfigError(String message) {
    super(message);
  }
}
