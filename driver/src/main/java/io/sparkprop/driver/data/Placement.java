package io.sparkprop.driver.data;

import java.util.Locale;

/**
 * Where the packed training data lives on executors (config key {@code training.data-placement},
 * Spark ML Param {@code dataPlacement}).
 *
 * <ul>
 *   <li>{@link #MEMORY}: one float block per partition in Spark's block cache, at the storage
 *       level asked for (spilled whole to disk by Spark if it must be).
 *   <li>{@link #DISK}: one file of fixed-size row records per partition in the executor's local
 *       directories, memory-mapped; a step reads only its batch rows, the page cache does the
 *       caching, and the heap holds what a step gathers ({@link LocalFilesRDD}).
 *   <li>{@link #AUTO}: memory when the packed data fits comfortably in the executors' storage
 *       memory ({@link StorageBudget}), else disk; the decision is logged.
 * </ul>
 * Both placements give bitwise the same weights: the batches and the arithmetic are the same.
 */
public enum Placement {
  AUTO, MEMORY, DISK;

  public static Placement parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("data placement '" + s + "' is not one of auto, memory, disk");
    }
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
