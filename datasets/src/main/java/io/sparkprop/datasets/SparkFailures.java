package io.sparkprop.datasets;

/** Turning Spark's wrapped task failures back into the user's error. */
public final class SparkFailures {
  private SparkFailures() {}

  /**
   * If {@code e} was caused (anywhere in its chain) by an {@link IllegalArgumentException} thrown
   * in a task, returns that, so the message shown is the validation message and not Spark's
   * "Job aborted due to stage failure" wrapper; otherwise returns {@code e} (a checked
   * SparkException, which Scala code throws undeclared, wrapped in an IllegalStateException).
   */
  public static RuntimeException unwrapArgumentError(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException) return (IllegalArgumentException) t;
    }
    // Spark reports a task's exception in the message of the stage failure when the class is lost
    String m = String.valueOf(e.getMessage());
    int at = m.indexOf("java.lang.IllegalArgumentException: ");
    if (at >= 0) {
      String rest = m.substring(at + "java.lang.IllegalArgumentException: ".length());
      int nl = rest.indexOf('\n');
      return new IllegalArgumentException(nl >= 0 ? rest.substring(0, nl) : rest, e);
    }
    return e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e.getMessage(), e);
  }
}
