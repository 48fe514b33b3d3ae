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
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One writer at a time per registry, fenced: a holder that lost the lock can no longer mutate.
 *
 * <p>The lock is a sequence of generations, one file each: {@code LOCK.000000000001},
 * {@code LOCK.000000000002}, ... The newest file is the lock; its holder is the job whose
 * owner token it contains. A job takes generation g + 1 by creating that file exclusively (an
 * atomic create-if-absent: {@code O_EXCL} on local disks, HDFS's create without overwrite), which
 * exactly one contender can do, however many saw generation g stale at once; it may do so only
 * when generation g is released or stale. A daemon thread renews the holder's own file's
 * modification time every quarter of the timeout (the heartbeat); a file whose heartbeat is older
 * than the timeout belongs to a dead or stalled job. Releasing sets the file's modification time
 * to 0 (free at once) instead of deleting it, so generations only grow and an older holder can
 * always tell it was superseded.
 *
 * <p>Fencing: {@link #check} lists the generations and fails with
 * {@link RegistryLockLostException} unless the newest is this holder's; the registry calls it
 * immediately before every mutation. The heartbeat only ever touches this holder's own file and
 * stops once it sees a newer generation. What remains is the window between a check and the
 * storage call after it, which no filesystem without compare-and-swap can close; the timeout
 * (minutes) dwarfs it.
 */
public final class RegistryLock implements AutoCloseable {
  static final String NAME = "LOCK";
  private static final String PREFIX = NAME + ".";

  private final FileSystem fs;
  private final Path root;
  private final Path path;
  private final long generation;
  private final String owner;
  private final long timeoutMillis;
  private final ScheduledExecutorService heartbeat;
  private volatile String lost; // why this holder lost the lock, once it has
  private volatile boolean released;

  private RegistryLock(FileSystem fs, Path root, long generation, String owner, long timeoutMillis) {
    this.fs = fs;
    this.root = root;
    this.generation = generation;
    this.path = file(root, generation);
    this.owner = owner;
    this.timeoutMillis = timeoutMillis;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sparkprop-registry-heartbeat");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(50, timeoutMillis / 4);
    heartbeat.scheduleAtFixedRate(this::beat, every, every, TimeUnit.MILLISECONDS);
  }

  static Path file(Path root, long generation) {
    return new Path(root, String.format("%s%012d", PREFIX, generation));
  }

  /** The newest generation's file, or null: (generation, status). */
  private record Newest(long generation, FileStatus status) {}

  private static Newest newest(FileSystem fs, Path root) throws IOException {
    Newest best = null;
    for (FileStatus st : fs.listStatus(root)) {
      String n = st.getPath().getName();
      if (!n.startsWith(PREFIX) || n.length() != PREFIX.length() + 12 || !n.substring(PREFIX.length()).chars().allMatch(Character::isDigit)) {
        continue;
      }
      long g = Long.parseLong(n.substring(PREFIX.length()));
      if (best == null || g > best.generation) best = new Newest(g, st);
    }
    return best;
  }

  /**
   * Takes the lock of the registry at {@code root}.
   *
   * @param timeoutMillis a heartbeat older than this marks the holder dead
   * @throws RegistryBusyException when a live job holds it, or another contender took it first
   */
  static RegistryLock acquire(FileSystem fs, Path root, long timeoutMillis) {
    String owner = "host=" + host() + " pid=" + ProcessHandle.current().pid() + " id=" + UUID.randomUUID()
        + " since=" + Instant.now();
    try {
      Newest top = newest(fs, root);
      long next = 1;
      if (top != null) {
        long mtime = top.status.getModificationTime();
        long age = System.currentTimeMillis() - mtime;
        String holder = readQuietly(fs, top.status.getPath());
        if (mtime != 0 && age <= timeoutMillis) {
          throw new RegistryBusyException("registry " + root + " is locked by another job (" + holder + ", heartbeat "
              + age / 1000 + " s ago); wait for it to finish. A lock whose heartbeat is older than registry.lock-timeout-seconds ("
              + timeoutMillis / 1000 + ") is taken over automatically");
        }
        next = top.generation + 1;
        if (!createExclusive(fs, file(root, next), owner)) throw contended(root);
        if (mtime != 0) {
          System.err.println("sparkprop: warning: took over the lock of registry " + root + " from a dead or stalled job ("
              + holder + ", heartbeat " + age / 1000 + " s ago); it can no longer change the registry");
        }
      } else if (!createExclusive(fs, file(root, next), owner)) {
        throw contended(root);
      }
      RegistryLock lock = new RegistryLock(fs, root, next, owner, timeoutMillis);
      for (long g = next - 1; g >= 1 && g >= next - 3; g--) fs.delete(file(root, g), false); // superseded generations
      return lock;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock registry " + root + ": " + e.getMessage(), e);
    }
  }

  private static RegistryBusyException contended(Path root) {
    return new RegistryBusyException("registry " + root + " is contended: another job took its lock first; try again later");
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
    } catch (IOException e) {
      // HDFS: another client's create of the same file is still open (its lease), which the
      // client reports as a RemoteException naming AlreadyBeingCreatedException
      if (String.valueOf(e.getMessage()).contains("AlreadyBeingCreatedException") || e.getClass().getName().contains("AlreadyBeingCreated")
          || (e instanceof org.apache.hadoop.ipc.RemoteException r && r.getClassName().endsWith("AlreadyBeingCreatedException"))) {
        return false;
      }
      throw e;
    }
  }

  private static String readQuietly(FileSystem fs, Path p) {
    try (var in = fs.open(p)) {
      String s = new String(in.readNBytes(4096), StandardCharsets.UTF_8).trim();
      return s.isEmpty() ? "owner not yet written" : s;
    } catch (IOException e) {
      return "owner unreadable: " + e.getMessage();
    }
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return ManagementFactory.getRuntimeMXBean().getName();
    }
  }

  /** Renews this holder's own file, until a newer generation appears. */
  private void beat() {
    try {
      if (lost == null && holdsNewest()) fs.setTimes(path, System.currentTimeMillis(), -1);
    } catch (IOException | RuntimeException e) {
      System.err.println("sparkprop: warning: registry lock heartbeat failed: " + e.getMessage());
    }
  }

  /** Whether the newest generation is still this holder's; records the loss otherwise. */
  private boolean holdsNewest() throws IOException {
    Newest top = newest(fs, root);
    if (top != null && top.generation == generation) return true;
    lost = top == null ? "its lock file " + path + " is gone"
        : "generation " + top.generation + " (" + readQuietly(fs, top.status.getPath()) + ") took it over after this job's heartbeat"
            + " stopped for more than " + timeoutMillis / 1000 + " s";
    heartbeat.shutdown();
    return false;
  }

  /**
   * Fails unless this job still holds the lock: called immediately before every change to the
   * registry, so that a job that stalled past the timeout and was superseded changes nothing.
   *
   * @param what the change about to be made, for the message
   * @throws RegistryLockLostException when a newer generation exists (or the lock was released)
   */
  public void check(String what) {
    try {
      if (released) lost = "it was released";
      if (lost == null && holdsNewest()) return;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check the lock of registry " + root + " before " + what + ": " + e.getMessage(), e);
    }
    throw new RegistryLockLostException("this job lost the lock of registry " + root + " (generation " + generation + "): " + lost
        + ". Nothing more was changed: not " + what + ". Another job owns the registry now; check `sparkprop registry list`"
        + " and rerun this job if it is still needed");
  }

  /** This holder's identity, as written in its lock file. */
  public String owner() {
    return owner;
  }

  /** This holder's generation. */
  public long generation() {
    return generation;
  }

  /** Stops the heartbeat and, if this job still holds the lock, releases it (its file's time set to 0). */
  @Override
  public void close() {
    boolean held = lost == null && !released;
    released = true;
    heartbeat.shutdownNow();
    try {
      if (held && holdsNewest()) fs.setTimes(path, 0, -1);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release registry lock " + path + ": " + e.getMessage(), e);
    }
  }
}
