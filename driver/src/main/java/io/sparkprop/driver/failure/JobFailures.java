package io.sparkprop.driver.failure;

import org.apache.spark.SparkContext;
import org.apache.spark.SparkException;

/**
 * Recognising a failed Spark job. Scala throws {@link SparkException}, a checked exception,
 * through Java signatures that do not declare it, so a {@code catch (RuntimeException e)} never
 * sees it: every place that promises recovery or cleanup after a failed job catches
 * {@code Exception} and asks this class what it caught.
 */
public final class JobFailures {
  private JobFailures() {}

  /** Whether {@code e} or one of its causes is a {@link SparkException}: a job that Spark gave up on. */
  public static boolean isJobFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SparkException) return true;
    }
    return false;
  }

  /**
   * Whether {@code e} means Spark lost the run rather than the input being bad: a failed job, or
   * any failure once the context has stopped (the cluster manager killed the application; a job
   * started after that throws {@link IllegalStateException}, not {@link SparkException}).
   */
  public static boolean runLost(Throwable e, SparkContext sc) {
    if (e instanceof IllegalArgumentException || !(e instanceof Exception)) return false;
    return isJobFailure(e) || sc.isStopped();
  }

  /**
   * Whether running the failed job again can succeed: a job failure (a lost executor, a fetch
   * that failed after Spark's own retries) while the context is alive, not a cancellation (the
   * caller asked for it) and not bad input (an {@link IllegalArgumentException} thrown by a task,
   * which fails again identically).
   */
  public static boolean retryable(Throwable e, SparkContext sc) {
    if (!isJobFailure(e) || sc.isStopped()) return false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException || t instanceof InterruptedException) return false;
      String m = String.valueOf(t.getMessage());
      if (m.contains("cancelled") || m.contains("canceled") || m.contains("SparkContext was shut down")
          || m.contains("java.lang.IllegalArgumentException")) {
        return false;
      }
    }
    return true;
  }

  /** {@code e} as an unchecked exception: itself, or wrapped in an {@link IllegalStateException} keeping its message. */
  public static RuntimeException unchecked(Throwable e) {
    if (e instanceof RuntimeException r) return r;
    if (e instanceof Error err) throw err;
    return new IllegalStateException(e.getMessage(), e);
  }

  /**
   * Runs {@code cleanup} after {@code primary} has been thrown: a failure of the cleanup is added
   * to the primary as suppressed and never replaces it.
   */
  public static void cleanUpAfter(Throwable primary, Runnable cleanup) {
    try {
      cleanup.run();
    } catch (Throwable t) { // a cleanup failure must not hide the failure it cleans up after
      if (t != primary) primary.addSuppressed(t);
    }
  }

  /** The first line of a failure's message, without Spark's "Job aborted due to stage failure:" preamble. */
  public static String summary(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    if (nl >= 0) m = m.substring(0, nl);
    return m.length() > 400 ? m.substring(0, 400) + "..." : m;
  }
}
