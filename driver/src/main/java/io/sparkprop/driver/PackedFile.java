package io.sparkprop.driver;

import java.io.Serializable;

/**
 * What Spark caches for a partition packed to a local file ({@link Placement#DISK}): where the
 * file is and its shape, a few hundred bytes. The rows stay in the file. A file is local to the
 * executor that wrote it ({@code executorId}); a handle read elsewhere is not used.
 *
 * @param key the packed data set's key (every file of one set shares it, for deletion)
 * @param path the file, in one of the executor's Spark-managed local directories
 * @param problem why the partition could not be packed (a full disk, a bad value), or null
 */
record PackedFile(String key, String path, String executorId, int rows, int features, int targetWidth, boolean weighted,
    String problem) implements Serializable {
}
