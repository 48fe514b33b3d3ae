package io.sparkprop.driver.data;

/**
 * What identifies a training set cheaply: its row count, shape and an order-independent content
 * hash of every value ({@link io.sparkprop.trainer.data.Examples#contentHash()}), computed in the
 * packing job's validation pass at no extra pass over the data. Equal data give equal
 * fingerprints however they are partitioned.
 *
 * @param rows examples
 * @param features feature count
 * @param targetWidth target values per example
 * @param contentHash sum over rows of a 64-bit hash of each row's bits
 */
public record DataFingerprint(long rows, int features, int targetWidth, long contentHash) {
  /** "60000 rows x 784 features, target width 1, content 1f3a..." */
  @Override
  public String toString() {
    return rows + " rows x " + features + " features, target width " + targetWidth + ", content "
        + String.format("%016x", contentHash);
  }

  /** What differs from {@code other}, in words, or null when they are equal. */
  public String difference(DataFingerprint other) {
    if (equals(other)) return null;
    if (rows != other.rows) return rows + " rows vs " + other.rows;
    if (features != other.features) return features + " features vs " + other.features;
    if (targetWidth != other.targetWidth) return "target width " + targetWidth + " vs " + other.targetWidth;
    return "same shape (" + rows + " x " + features + ") but different values (content "
        + String.format("%016x vs %016x", contentHash, other.contentHash) + ")";
  }
}
