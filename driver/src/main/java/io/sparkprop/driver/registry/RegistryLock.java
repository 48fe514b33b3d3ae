package io.sparkprop.driver.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One writer at a time per registry: a {@code LOCK} file created exclusively (an atomic
 * create-if-absent: {@code O_EXCL} on local disks, HDFS's create without overwrite), whose
 * modification time a daemon thread renews as a heartbeat every quarter of the timeout. A lock
 * whose heartbeat is older than the timeout belongs to a dead job and is taken over: it is first
 * renamed to a unique name (only one contender's rename can succeed), then a new lock is created.
 */
public final class RegistryLock implements AutoCloseable {
  static final String NAME = "LOCK";

  private final FileSystem fs;
  private final Path path;
  private final String owner;
  private final ScheduledExecutorService heartbeat;

  private RegistryLock(FileSystem fs, Path path, String owner, long heartbeatMillis) {
    this.fs = fs;
    this.path = path;
    this.owner = owner;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sparkprop-registry-heartbeat");
      t.setDaemon(true);
      return t;
    });
    heartbeat.scheduleAtFixedRate(this::beat, heartbeatMillis, heartbeatMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * Takes the lock of the registry at {@code root}.
   *
   * @param timeoutMillis a heartbeat older than this marks the holder dead
   * @throws RegistryBusyException when a live job holds it
   */
  static RegistryLock acquire(FileSystem fs, Path root, long timeoutMillis) {
    Path lock = new Path(root, NAME);
    String owner = "host=" + host() + " pid=" + ProcessHandle.current().pid() + " id=" + UUID.randomUUID()
        + " since=" + Instant.now();
    try {
      for (int attempt = 0; attempt < 3; attempt++) {
        if (createExclusive(fs, lock, owner)) return new RegistryLock(fs, lock, owner, Math.max(50, timeoutMillis / 4));
        long age;
        String holder;
        try {
          age = System.currentTimeMillis() - fs.getFileStatus(lock).getModificationTime();
          holder = read(fs, lock);
        } catch (java.io.FileNotFoundException gone) {
          continue; // released meanwhile: try again
        }
        if (age <= timeoutMillis) {
          throw new RegistryBusyException("registry " + root + " is locked by another job (" + holder + ", heartbeat "
              + age / 1000 + " s ago); wait for it to finish. A lock whose heartbeat is older than registry.lock-timeout-seconds ("
              + timeoutMillis / 1000 + ") is taken over automatically");
        }
        Path stale = new Path(root, NAME + ".stale-" + UUID.randomUUID());
        if (fs.rename(lock, stale)) { // only one contender wins this rename
          System.err.println("sparkprop: warning: took over the lock of registry " + root + " from a dead job (" + holder
              + ", heartbeat " + age / 1000 + " s ago)");
          fs.delete(stale, false);
        }
      }
      throw new RegistryBusyException("registry " + root + " is contended: another job took its lock first; try again");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock registry " + root + ": " + e.getMessage(), e);
    }
  }

  private static boolean createExclusive(FileSystem fs, Path lock, String owner) throws IOException {
    byte[] content = (owner + "\n").getBytes(StandardCharsets.UTF_8);
    if ("file".equals(fs.getUri().getScheme())) { // Hadoop's local create checks, then creates: not atomic
      try {
        Files.write(Files.createFile(java.nio.file.Path.of(fs.makeQualified(lock).toUri().getPath())), content);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      }
    }
    try (var out = fs.create(lock, false)) { // HDFS: atomic create-if-absent
      out.write(content);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
  }

  private static String read(FileSystem fs, Path p) throws IOException {
    try (var in = fs.open(p)) {
      return new String(in.readNBytes(4096), StandardCharsets.UTF_8).trim();
    }
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return ManagementFactory.getRuntimeMXBean().getName();
    }
  }

  private void beat() {
    try {
      fs.setTimes(path, System.currentTimeMillis(), -1);
    } catch (IOException | RuntimeException e) {
      System.err.println("sparkprop: warning: registry lock heartbeat failed: " + e.getMessage());
    }
  }

  /** This holder's identity, as written in the lock file. */
  public String owner() {
    return owner;
  }

  /** Stops the heartbeat and deletes the lock if it is still this holder's. */
  @Override
  public void close() {
    heartbeat.shutdownNow();
    try {
      if (fs.exists(path) && read(fs, path).equals(owner)) fs.delete(path, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release registry lock " + path + ": " + e.getMessage(), e);
    }
  }
}
