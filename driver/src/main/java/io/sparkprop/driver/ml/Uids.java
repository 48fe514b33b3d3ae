package io.sparkprop.driver.ml;

import org.apache.spark.ml.util.Identifiable;

/**
 * The uid trap: Spark's Scala superclasses create their Params while the superclass constructor
 * runs, calling {@code uid()} before a Java subclass's fields are assigned. A constructor given a
 * uid therefore parks it here (in the argument of {@code this(...)}, which runs before
 * {@code super()}), and {@code uid()} reads it back until the field is set.
 */
final class Uids {
  private static final ThreadLocal<String> PENDING = new ThreadLocal<>();

  private Uids() {}

  /** Marker proving the uid was parked. */
  static final class Parked {
    private Parked() {}
  }

  static Parked park(String uid) {
    if (uid == null || uid.isEmpty()) throw new IllegalArgumentException("uid must be non-empty");
    PENDING.set(uid);
    return new Parked();
  }

  static String random(String prefix) {
    return Identifiable.randomUID(prefix);
  }

  /** The uid while a constructor runs: the parked one. */
  static String pending() {
    String u = PENDING.get();
    if (u == null) throw new IllegalStateException("uid requested outside a constructor with no uid parked");
    return u;
  }

  /** Takes the parked uid (at the end of the constructor). */
  static String take() {
    String u = pending();
    PENDING.remove();
    return u;
  }
}
