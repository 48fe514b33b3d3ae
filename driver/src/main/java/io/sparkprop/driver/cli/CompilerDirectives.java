package io.sparkprop.driver.cli;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.management.ObjectName;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * HotSpot compiler directives for a local-mode run, whose driver JVM also runs the training tasks
 * on the same cores: Java serialization ({@code java.io.ObjectInputStream} and {@code
 * ObjectOutputStream}), which Spark uses only for its control messages (task descriptions, task
 * results, accumulator updates), stays in C1 code and is never compiled by C2.
 *
 * <p>Why: a JVM on two cores has one C2 compiler thread. Serialization's methods are among the
 * largest it compiles in a run ({@code readSerialData} 0.42 s, {@code writeObject0} 0.28 s,
 * {@code readClassDesc} 0.24 s of that thread, JFR {@code jdk.Compilation}); they got hot during
 * the load and at every epoch's end, so their compiles held the engine's hot loops in C1 code for
 * the first 0.2-0.3 s of training and took a core from the training threads, epoch after epoch.
 * The volume serialized is small (a few hundred objects per job), so C1 code costs nothing
 * measurable; docs/benchmarks.md has the before and after.
 *
 * <p>The directives go in through the JVM's diagnostic command MBean ({@code jcmd
 * Compiler.directives_add}), not the {@code -XX:CompilerDirectivesFile} flag, which needs
 * diagnostic options unlocked and prints "1 compiler directives added" to standard output,
 * where {@code predict} writes its rows. On a JVM without that command (not HotSpot) nothing
 * changes. {@code -Dsparkprop.compilerDirectives=false} turns it off.
 */
final class CompilerDirectives {
  private static final Logger LOG = LogManager.getLogger(CompilerDirectives.class);
  static final String RESOURCE = "compiler-directives.json";
  static final String SWITCH = "sparkprop.compilerDirectives";
  private static boolean started; // once per JVM

  private CompilerDirectives() {}

  /**
   * Adds the directives on a daemon thread (the platform MBean server costs about 70 ms to start,
   * which then overlaps Spark's own start), once per JVM, when {@code master} runs the tasks in
   * this JVM ({@code local}, {@code local[N]}, {@code local[N,F]}, {@code local[*]}).
   */
  static synchronized void installForLocal(String master) {
    if (started || !wanted(master, System.getProperty(SWITCH))) return;
    started = true;
    Thread t = new Thread(() -> {
      try {
        LOG.debug("compiler directives: {}", add());
      } catch (Exception | LinkageError e) {
        LOG.debug("compiler directives not added: {}", e.toString());
      }
    }, "sparkprop-compiler-directives");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Whether a run on {@code master} gets the directives: when it runs the tasks in the driver's
   * JVM (local mode, not local-cluster) and {@code switchValue} (the {@link #SWITCH} property,
   * null when unset) is not {@code false}.
   */
  static boolean wanted(String master, String switchValue) {
    boolean local = master != null && (master.equals("local") || master.startsWith("local["));
    return local && (switchValue == null || Boolean.parseBoolean(switchValue));
  }

  /** Adds the directives now, in this thread; returns the JVM's answer ("1 compiler directives added"). */
  static String add() throws Exception {
    Path file = Files.createTempFile("sparkprop-compiler-directives", ".json");
    try {
      try (InputStream in = CompilerDirectives.class.getResourceAsStream(RESOURCE)) {
        if (in == null) throw new IOException("no resource " + RESOURCE + " beside " + CompilerDirectives.class.getName());
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
      Object answer = ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
          "compilerDirectivesAdd", new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
      String text = String.valueOf(answer).trim();
      if (!text.endsWith("compiler directives added")) throw new IllegalStateException("the JVM refused the directives: " + text);
      return text;
    } finally {
      Files.deleteIfExists(file); // the JVM parsed it during the call
    }
  }
}
