package io.sparkprop.driver.model;

/**
 * Named crash points in what writes to storage (registry versions, checkpoints), for the fault
 * tests: when the system property
 * {@code sparkprop.test.halt-at} names a point, the JVM halts there at once (no shutdown hooks,
 * no finally blocks), as a kill -9 would. Unset in production, where {@link #point} is one
 * property read.
 */
public final class CrashPoints {
  public static final String PROPERTY = "sparkprop.test.halt-at";

  private CrashPoints() {}

  public static void point(String name) {
    if (name.equals(System.getProperty(PROPERTY))) Runtime.getRuntime().halt(137);
  }
}
