package io.sparkprop.driver.data;

import java.io.Serializable;

/**
 * What Spark caches for a partition packed to a local file ({@link Placement#DISK}): where the
 * file is and its shape, a few hundred bytes. The rows stay in the file. A file is local to the
 * executor that wrote it ({@code executorId}); a handle read elsewhere is not used. (A class, not
 * a record: Spark's Kryo cannot serialize records.)
 */
final class PackedFile implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String path;
  private final String executorId;
  private final int rows;
  private final int features;
  private final int targetWidth;
  private final boolean weighted;
  private final String problem;

  /**
   * @param path the file, in one of the executor's Spark-managed local directories (null on a problem)
   * @param problem why the partition could not be packed (a full disk, an unwritable directory), or null
   */
  PackedFile(String path, String executorId, int rows, int features, int targetWidth, boolean weighted,
      String problem) {
    this.path = path;
    this.executorId = executorId;
    this.rows = rows;
    this.features = features;
    this.targetWidth = targetWidth;
    this.weighted = weighted;
    this.problem = problem;
  }

  String path() { return path; }
  String executorId() { return executorId; }
  int rows() { return rows; }
  int features() { return features; }
  int targetWidth() { return targetWidth; }
  boolean weighted() { return weighted; }
  String problem() { return problem; }
}
