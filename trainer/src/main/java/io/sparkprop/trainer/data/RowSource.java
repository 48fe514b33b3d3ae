package io.sparkprop.trainer.data;

/**
 * Rows of packed examples with stable ids {@code firstId .. firstId + rows - 1}, read by index:
 * what the engine's forward and backward passes gather their blocks from. {@link Examples} holds
 * the rows in heap arrays; {@link MappedExamples} reads them from a memory-mapped file. Both give
 * the same floats for the same rows, so a step computes bitwise the same on either.
 */
public interface RowSource {
  long firstId();

  int rows();

  int features();

  int targetWidth();

  /** Whether rows carry example weights (otherwise every weight is 1). */
  boolean weighted();

  /**
   * Copies rows {@code idx[start .. start + m)} (row indices into this source, not ids) into
   * {@code x} ({@code m x features}, row-major), {@code y} ({@code m x targetWidth}) and, when
   * {@link #weighted()}, {@code w} ({@code m}; may be null otherwise), each starting at offset 0.
   */
  void gather(int[] idx, int start, int m, float[] x, float[] y, float[] w);
}
