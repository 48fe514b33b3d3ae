package io.sparkprop.datasets;

import java.io.Serializable;

/**
 * What the label columns of a data set mean, and the rules their values must satisfy.
 *
 * @param kind class index, multi-label 0/1 vector, or regression values
 * @param width number of classes (CLASS_INDEX), of labels (MULTI_LABEL) or of outputs (REGRESSION)
 */
public record Targets(Kind kind, int width) implements Serializable {
  public enum Kind {
    /** One integer label in [0, width): a softmax output with width units (or sigmoid with width 1... see below). */
    CLASS_INDEX,
    /** width labels, each 0 or 1 (or a probability in [0, 1]): a sigmoid output with width units. */
    MULTI_LABEL,
    /** width finite real values: a linear output with width units. */
    REGRESSION
  }

  public Targets {
    if (kind == null) throw new IllegalArgumentException("target kind is missing");
    if (width < 1) throw new IllegalArgumentException("target width must be >= 1, got " + width);
    if (kind == Kind.CLASS_INDEX && width < 2) {
      throw new IllegalArgumentException("classification needs at least 2 classes, got " + width
          + "; a single 0/1 label is MULTI_LABEL with width 1 (a sigmoid output)");
    }
  }

  public static Targets classes(int k) { return new Targets(Kind.CLASS_INDEX, k); }
  public static Targets multiLabel(int k) { return new Targets(Kind.MULTI_LABEL, k); }
  public static Targets regression(int k) { return new Targets(Kind.REGRESSION, k); }

  /** Floats per example in the packed target matrix: 1 for a class index, else width. */
  public int targetWidth() {
    return kind == Kind.CLASS_INDEX ? 1 : width;
  }

  /** Number of label columns a row carries (LibSVM multi-label puts them in one field). */
  public int columns() {
    return kind == Kind.CLASS_INDEX ? 1 : width;
  }

  /**
   * Null when {@code v} is a valid value for target column {@code j}, else the rule it breaks
   * (for the error message).
   */
  public String violation(double v, int j) {
    switch (kind) {
      case CLASS_INDEX:
        if (Double.isNaN(v) || v != Math.rint(v)) return "a class label must be an integer";
        if (v < 0) return "a class label must be >= 0";
        if (v >= width) return "a class label must be < " + width + " (the number of classes)";
        return null;
      case MULTI_LABEL:
        return v >= 0 && v <= 1 ? null : "a multi-label target must lie in [0, 1]";
      default:
        return Double.isFinite(v) ? null : "a regression target must be finite";
    }
  }
}
