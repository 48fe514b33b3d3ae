package io.sparkprop.driver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkEnv;

/**
 * Named points in executor-side code where the cluster fault tests SIGKILL the executor's JVM,
 * so that a kill lands in a known phase of a run instead of wherever a timer happens to fall.
 *
 * <p>Armed by the executor environment variable {@value #ENV} =
 * {@code PHASE:AT:MARKER} (set with {@code spark.executorEnv.}{@value #ENV}): the first executor
 * that reaches {@code PHASE} with a counter of at least {@code AT} (the global step for the
 * step's phases, the JVM's count of passes through the point otherwise) creates the file
 * {@code MARKER} (atomically: exactly one executor of a run dies, replacements see the file),
 * writes what it hit into it, and sends itself SIGKILL: no shutdown hooks, no finally blocks,
 * its block manager's contents gone, as when a machine dies. Unset, every point is one field
 * read. Never armed in the driver's JVM (local mode).
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

  private static final String[] ARMED = parse(System.getenv(ENV));
  private static final AtomicLong PASSES = new AtomicLong();

  private ExecutorFaults() {}

  private static String[] parse(String spec) {
    if (spec == null || spec.isBlank()) return null;
    String[] f = spec.split(":", 3);
    if (f.length != 3) throw new IllegalArgumentException(ENV + " = '" + spec + "' is not PHASE:AT:MARKER");
    Long.parseLong(f[1]);
    return f;
  }

  /** A point whose counter is the JVM's own count of passes through it. */
  static void point(String phase) {
    if (ARMED != null && ARMED[0].equals(phase)) point(phase, PASSES.incrementAndGet());
  }

  /** A point at counter {@code at} (a step's global index). */
  static void point(String phase, long at) {
    if (ARMED == null || !ARMED[0].equals(phase) || at < Long.parseLong(ARMED[1])) return;
    SparkEnv env = SparkEnv.get();
    if (env == null || "driver".equals(env.executorId())) return;
    try {
      Path marker = Files.createFile(Path.of(ARMED[2]));
      long pid = ProcessHandle.current().pid();
      Files.writeString(marker, "phase=" + phase + " at=" + at + " executor=" + env.executorId() + " pid=" + pid + "\n",
          StandardCharsets.UTF_8);
      System.err.println("sparkprop fault test: SIGKILL executor " + env.executorId() + " (pid " + pid + ") in phase " + phase
          + " at " + at);
      new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor();
      Thread.sleep(10_000); // the signal ends the JVM before this does
      Runtime.getRuntime().halt(137);
    } catch (FileAlreadyExistsException fired) {
      // another executor of this run was killed already
    } catch (IOException | InterruptedException e) {
      Runtime.getRuntime().halt(137);
    }
  }
}
