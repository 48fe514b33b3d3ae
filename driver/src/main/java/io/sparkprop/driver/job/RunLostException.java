package io.sparkprop.driver.job;

/**
 * Training stopped because Spark could not continue (every executor lost, the application killed,
 * a task failing past its retries): not a problem with the input. The message is the one line an
 * operator needs: what was lost and where a rerun of the same command resumes.
 */
public final class RunLostException extends RuntimeException {
  RunLostException(String message, Exception cause) {
    super(message, cause);
  }
}
