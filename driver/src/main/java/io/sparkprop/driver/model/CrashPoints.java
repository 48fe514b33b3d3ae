package io.sparkprop.driver.model;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named crash points in what writes to storage (registry versions, checkpoints), for the fault
 * tests: when the system property {@code sparkprop.test.halt-at} names a point ({@code NAME}, or
 * {@code NAME#N} for its N-th pass), the JVM halts there at once (no shutdown hooks, no finally
 * blocks), as a kill -9 would. Unset in production, where {@link #point} is one property read.
 */
public final class CrashPoints {
  public static final String PROPERTY = "sparkprop.test.halt-at";
  private static final AtomicInteger PASSES = new AtomicInteger();

  private CrashPoints() {}

  public static void point(String name) {
    String at = System.getProperty(PROPERTY);
    if (at == null || !at.startsWith(name)) return;
    if (at.equals(name)) Runtime.getRuntime().halt(137);
    if (at.startsWith(name + "#") && PASSES.incrementAndGet() == Integer.parseInt(at.substring(name.length() + 1))) {
      Runtime.getRuntime().halt(137);
    }
  }
}
