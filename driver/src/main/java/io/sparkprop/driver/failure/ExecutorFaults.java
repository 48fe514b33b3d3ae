package io.sparkprop.driver.failure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkEnv;

/**
 * Named points in executor-side code where the cluster fault tests SIGKILL the executor's JVM,
 * so that a kill lands in a known phase of a run instead of wherever a timer happens to fall.
 *
 * <p>Armed by the executor environment variable {@value #ENV} =
 * {@code PHASE:AT:MARKER[,PHASE:AT:MARKER...]} (set with
 * {@code spark.executorEnv.}{@value #ENV}): for each entry, the first executor that reaches
 * {@code PHASE} with a counter of at least {@code AT} (the global step for the step's phases, the
 * JVM's count of passes through the point otherwise) creates the file {@code MARKER}
 * (atomically: exactly one executor dies per entry, replacements see the file), writes what it
 * hit into it, and sends itself SIGKILL: no shutdown hooks, no finally blocks, its block
 * manager's contents gone, as when a machine dies. Several entries put several kills into one
 * run. Unset, every point is one field read. Never armed in the driver's JVM (local mode).
 */
public final class ExecutorFaults {
  static final String ENV = "SPARKPROP_TEST_EXECUTOR_KILL";
  /** Packing a partition of training data (the data's first pass). */
  public static final String PACK = "pack";
  /** Computing a step's gradient. */
  public static final String GRADIENT = "gradient";
  /** After a step's gradient slices are stored, before the task returns: the step's two jobs are cut apart. */
  public static final String STORED = "stored";
  /** Adding a slice in a step's second job (executor-side reduction). */
  public static final String REDUCE = "reduce";
  /** Evaluating a validation or test partition. */
  public static final String EVALUATE = "evaluate";

  private record Kill(String phase, long at, Path marker) {}

  private static final List<Kill> ARMED = parse(System.getenv(ENV));
  private static final Map<String, AtomicLong> PASSES = new ConcurrentHashMap<>();

  private ExecutorFaults() {}

  static List<Kill> parse(String spec) {
    if (spec == null || spec.isBlank()) return null;
    List<Kill> out = new ArrayList<>();
    for (String entry : spec.split(",")) {
      String[] f = entry.trim().split(":", 3);
      if (f.length != 3) throw new IllegalArgumentException(ENV + " entry '" + entry + "' is not PHASE:AT:MARKER");
      out.add(new Kill(f[0], Long.parseLong(f[1]), Path.of(f[2])));
    }
    return List.copyOf(out);
  }

  /** A point whose counter is the JVM's own count of passes through it. */
  public static void point(String phase) {
    if (ARMED != null) point(phase, PASSES.computeIfAbsent(phase, p -> new AtomicLong()).incrementAndGet());
  }

  /** A point at counter {@code at} (a step's global index). */
  public static void point(String phase, long at) {
    if (ARMED == null) return;
    for (Kill k : ARMED) {
      if (k.phase.equals(phase) && at >= k.at && !Files.exists(k.marker)) kill(k, at);
    }
  }

  private static void kill(Kill k, long at) {
    SparkEnv env = SparkEnv.get();
    if (env == null || "driver".equals(env.executorId())) return;
    try {
      Path marker = Files.createFile(k.marker);
      long pid = ProcessHandle.current().pid();
      Files.writeString(marker, "phase=" + k.phase + " at=" + at + " executor=" + env.executorId() + " pid=" + pid + "\n",
          StandardCharsets.UTF_8);
      System.err.println("sparkprop fault test: SIGKILL executor " + env.executorId() + " (pid " + pid + ") in phase " + k.phase
          + " at " + at);
      new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor();
      Thread.sleep(10_000); // the signal ends the JVM before this does
      Runtime.getRuntime().halt(137);
    } catch (FileAlreadyExistsException fired) {
      // another executor was killed for this entry already
    } catch (IOException | InterruptedException e) {
      Runtime.getRuntime().halt(137);
    }
  }
}
