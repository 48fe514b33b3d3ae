package io.sparkprop.driver.data;

import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.data.MappedExamples;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor side of {@link Placement#DISK}: writes a partition's examples to a file in the
 * executor's Spark-managed local directories ({@code spark.local.dir}, YARN's and Kubernetes'
 * container directories), maps each file once and keeps the mapping, and deletes a data set's
 * files. Spark deletes those directories when the executor stops, so the files of an executor
 * that dies or of an application that ends go with them; {@link PackedData#unpersist} deletes a
 * finished run's files while the executors live on.
 */
final class LocalPackedFiles {
  private static final Logger LOG = LoggerFactory.getLogger(LocalPackedFiles.class);

  /** Every file written in this JVM, by data set key. */
  private static final Map<String, List<Path>> FILES = new ConcurrentHashMap<>();
  /** Open mappings, by path. */
  private static final Map<String, MappedExamples> MAPPED = new ConcurrentHashMap<>();

  private LocalPackedFiles() {}

  /**
   * Streams one partition's blocks into a new local file; the heap holds one block at a time.
   * A full local disk or an unwritable directory comes back as the handle's problem (the driver
   * reports it before training), not as a failed task.
   */
  static PackedFile write(String key, int partition, Iterator<Examples> blocks, int d, int tw, long reserve) {
    SparkEnv env = SparkEnv.get();
    String exec = env.executorId();
    File f;
    try {
      f = env.blockManager().diskBlockManager().createTempLocalBlock()._2();
    } catch (RuntimeException e) {
      return failed(exec, d, tw, "cannot create a file in the executor's local directories ("
          + env.conf().get("spark.local.dir", System.getProperty("java.io.tmpdir")) + "): " + e.getMessage());
    }
    Path p = f.toPath();
    FILES.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(p);
    try (MappedExamples.Writer w = new MappedExamples.Writer(p, d, tw)) {
      while (blocks.hasNext()) {
        Examples e = blocks.next();
        long need = e.rows() * MappedExamples.recordBytes(d, tw) + reserve;
        long free = f.getParentFile().getUsableSpace();
        if (free < need) {
          return failed(exec, d, tw, "the local disk of executor " + exec + " (" + f.getParentFile().getParent()
              + ") has " + mb(free) + " MB free after " + mb(w.bytes()) + " MB of partition " + partition
              + " (" + mb(reserve) + " MB are kept free: training.disk-reserve-mb); give executors larger local disks (spark.local.dir), add executors, or use training.data-placement = memory with more executor memory");
        }
        w.append(e);
      }
      w.close();
      LOG.info("packed partition {} to {}: {} rows, {} MB", partition, p, w.rows(), mb(w.bytes()));
      return new PackedFile(p.toString(), exec, w.rows(), d, tw, w.weighted(), null);
    } catch (IOException e) {
      return failed(exec, d, tw, "cannot write packed partition " + partition + " to " + p + " on executor " + exec
          + ": " + e.getMessage() + "; check the executors' local disks (spark.local.dir)");
    }
  }

  private static PackedFile failed(String exec, int d, int tw, String why) {
    return new PackedFile(null, exec, 0, d, tw, false, why);
  }

  private static String mb(long bytes) {
    return String.format("%.0f", bytes / 1e6);
  }

  /** Whether the handle's file is on this executor (it was written here and still exists). */
  static boolean isLocal(PackedFile h) {
    return h.path() != null && h.executorId().equals(SparkEnv.get().executorId()) && Files.isRegularFile(Path.of(h.path()));
  }

  /** The handle's file, mapped once per executor. */
  static MappedExamples map(PackedFile h) {
    return MAPPED.computeIfAbsent(h.path(), path -> MappedExamples.open(Path.of(path), 0, h.rows(), h.features(),
        h.targetWidth(), h.weighted()));
  }

  /** Deletes this JVM's files of data set {@code key} and drops their mappings; returns how many. */
  static int delete(String key) {
    List<Path> files = FILES.remove(key);
    if (files == null) return 0;
    int n = 0;
    for (Path p : files) {
      MAPPED.remove(p.toString()); // unmapped when collected; the disk space is freed then
      try {
        if (Files.deleteIfExists(p)) n++;
      } catch (IOException e) {
        LOG.warn("could not delete packed file {}: {}", p, e.getMessage());
      }
    }
    return n;
  }
}
