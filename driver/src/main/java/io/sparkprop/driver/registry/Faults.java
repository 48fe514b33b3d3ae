package io.sparkprop.driver.registry;

/**
 * Named crash points for the registry's fault tests: when the system property
 * {@code sparkprop.test.halt-at} names a point, the JVM halts there at once (no shutdown hooks,
 * no finally blocks), as a kill -9 would. Unset in production, where {@link #point} is one
 * property read.
 */
final class Faults {
  static final String PROPERTY = "sparkprop.test.halt-at";

  private Faults() {}

  static void point(String name) {
    if (name.equals(System.getProperty(PROPERTY))) Runtime.getRuntime().halt(137);
  }
}
