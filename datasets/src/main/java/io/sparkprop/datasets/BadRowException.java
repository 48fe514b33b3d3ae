package io.sparkprop.datasets;

/**
 * A row that breaks a rule: the message names where it is (file and line, or row), the value and
 * the rule. An {@link IllegalArgumentException}, so the CLI maps it to exit code 2.
 */
public final class BadRowException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public BadRowException(String where, String problem) {
    super(where + ": " + problem);
  }
}
