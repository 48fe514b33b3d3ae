package io.sparkprop.driver.loop;

/**
 * A step produced a non-finite loss, gradient or parameter. Thrown by
 * {@link DistributedTrainer#step()} within the step where it appears; after a non-finite
 * parameter the trainer's parameters are unusable and the run must continue from a saved state
 * (a checkpoint) or stop. The CLI exits with code 4.
 */
public final class DivergenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long globalStep;
  private final String what;

  public DivergenceException(long globalStep, String what) {
    this(globalStep, what, "");
  }

  /** With {@code advice} (where the last good state is, what to change) appended to the message. */
  public DivergenceException(long globalStep, String what, String advice) {
    super("training diverged at global step " + globalStep + ": " + what + advice);
    this.globalStep = globalStep;
    this.what = what;
  }

  /** What went non-finite, without the step or advice. */
  public String what() {
    return what;
  }

  /** The 0-based global step whose update went non-finite. */
  public long globalStep() {
    return globalStep;
  }

  /** Step t's batch loss is not finite; the parameters are those before step t. */
  static DivergenceException loss(long t, double loss) {
    return new DivergenceException(t, "the batch loss is " + loss + " (the parameters are still those of step " + t + ")");
  }

  /** Step t's gradient has a non-finite entry; the parameters are those before step t. */
  static DivergenceException gradient(long t, int index, float value) {
    return new DivergenceException(t, "gradient entry " + index + " is " + value + " (the parameters are still those of step " + t + ")");
  }

  /** Step t's update made a parameter non-finite. */
  static DivergenceException parameter(long t, int index, float value) {
    return new DivergenceException(t, "parameter " + index + " became " + value + " after the update");
  }
}
