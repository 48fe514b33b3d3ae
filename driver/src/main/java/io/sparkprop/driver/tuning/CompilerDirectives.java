package io.sparkprop.driver.tuning;

import io.sparkprop.driver.cli.Sparkprop;
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
 * on the same cores: only Sparkprop's own code ({@code io.sparkprop}), the JDK's core ({@code
 * java.*}: strings, collections, math, I/O), the readers' libraries (univocity's CSV parser,
 * Hadoop, Parquet, ORC, Spark SQL's data sources, JSON parser, column vectors and generated code)
 * and Spark's ML libraries (MLlib and Breeze, which the benchmark suite runs beside Sparkprop in
 * one JVM, and which are much slower per L-BFGS iteration in C1 code) are compiled by C2; all other code (Spark's
 * core and scheduler, Scala, Netty, Jackson, the JDK's internals) and, within {@code java.*}, Java
 * serialization, jar and zip reading and method handles run in C1 code (tier 1, C1 without
 * profiling, once a method is hot).
 *
 * <p>Why: a JVM on two cores has one C2 compiler thread, and a run keeps both cores busy from
 * launch to exit. What C2 spent its time on was the framework's start and control path, paid
 * once per run and never won back: Spark's and Scala's start, class loading's jar lookups,
 * the JDK's bytecode spinner behind Scala's closures ({@code Frame.execute}, one long compile
 * just before the first step), Java serialization of Spark's task descriptions and results
 * ({@code readSerialData}). Those compiles took a core from the start, the load and the
 * first epoch, and held the engine's loops in C1 code while they ran. The framework code runs
 * briefly (a few jobs per epoch), so C1 code costs it nothing measurable, while the engine, the
 * readers' data path (Sparkprop's parsers, the JDK methods they call, Hadoop's line reader,
 * Parquet's decoders and Spark SQL's column vectors) keeps C2: CSV and Parquet loads were slower
 * while the JDK or the data path's libraries ran in C1 code, hence the list (docs/benchmarks.md
 * has the measurements).
 *
 * <p>Within Sparkprop's code, the long elementwise loops of a step's update path (the optimizer's
 * update, the gradient sum, the finite scan) are never inlined into a caller: they have compiled
 * code of their own (an on-stack replacement, then a standard compile, in the first epoch), and
 * a caller that inlines them makes C2 compile the loop body again. The wrappers that run those
 * loops on the step's threads reach C2's invocation thresholds only late in a fresh run, where a
 * compile with the loops inlined takes a core for far longer than one without them.
 *
 * <p>The directives go in through the JVM's diagnostic command MBean ({@code jcmd
 * Compiler.directives_add}), not the {@code -XX:CompilerDirectivesFile} flag, which needs
 * diagnostic options unlocked and prints "3 compiler directives added" to standard output,
 * where {@code predict} writes its rows. They are added at the start of {@code main} when the
 * command line asks for a local master ({@link #installForCommandLine}), so that they cover
 * Spark's own start, and otherwise when a session opens. Not on a cluster's driver: there it
 * serializes a task per executor per step and runs the scheduler every step. On a JVM without
 * that command (not HotSpot) nothing changes. {@code -Dsparkprop.compilerDirectives=false} turns
 * it off.
 */
public final class CompilerDirectives {
  private static final Logger LOG = LogManager.getLogger(CompilerDirectives.class);
  static final String RESOURCE = "compiler-directives.json";
  static final String SWITCH = "sparkprop.compilerDirectives";
  private static boolean started; // once per JVM

  private CompilerDirectives() {}

  /**
   * Adds the directives on a daemon thread (starting the platform MBean server takes tens of
   * milliseconds, docs/benchmarks.md, which then overlap Spark's own start), once per JVM, when
   * {@code master} runs the tasks in this JVM ({@code local}, {@code local[N]}, {@code local[N,F]},
   * {@code local[*]}).
   */
  public static synchronized void installForLocal(String master) {
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

  /** The subcommands that open a Spark session ({@code Session.open}). */
  static final java.util.Set<String> SPARK_COMMANDS = java.util.Set.of("train", "retrain", "evaluate", "predict");

  /**
   * {@link #installForLocal} at the start of {@code main}, before the command line is parsed, so
   * that the directives cover Spark's start: with the master {@code Session.open} will use
   * ({@link #masterOf}); nothing for a command that starts no Spark.
   */
  public static void installForCommandLine(String[] args) {
    String master = masterOf(args, System.getProperty("spark.master"));
    if (master != null) installForLocal(master);
  }

  /**
   * The master a command line's session will run on, by {@code Session.open}'s rule: {@code
   * --master}'s value, else {@code sparkMasterProperty} (spark-submit's {@code spark.master}), else
   * {@code local[*]}; null when the first argument is not a command that opens a session, or
   * {@code --master} has no value (picocli then reports the error).
   */
  static String masterOf(String[] args, String sparkMasterProperty) {
    if (args.length == 0 || !SPARK_COMMANDS.contains(args[0])) return null;
    String master = null;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--master")) {
        if (i + 1 == args.length) return null;
        master = args[++i];
      } else if (args[i].startsWith("--master=")) {
        master = args[i].substring("--master=".length());
      }
    }
    return master != null ? master : SparkDefaults.masterWithout(sparkMasterProperty);
  }

  /**
   * Whether a run on {@code master} gets the directives: when it runs the tasks in the driver's
   * JVM (local mode, not local-cluster) and {@code switchValue} (the {@link #SWITCH} property,
   * null when unset) is not {@code false}.
   */
  static boolean wanted(String master, String switchValue) {
    return SparkDefaults.tasksInThisJvm(master) && (switchValue == null || Boolean.parseBoolean(switchValue));
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
