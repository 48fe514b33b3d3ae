package io.sparkprop.driver.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.LrSchedule;
import io.sparkprop.trainer.optim.Optimizer;
import java.io.File;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The validated, immutable job configuration: a HOCON file, then {@code --set KEY=VALUE}
 * overrides, over the defaults of {@link Keys}. Loading rejects unknown keys (suggesting the
 * nearest valid one), malformed values and values out of range, naming the key and the value.
 */
public final class JobConfig {
  private final Config config;
  private Settings settings; // resolved by validate()
  private NetworkSpec network; // built by validate()
  private int threadsPerTask; // training.threads-per-task, checked by validate()

  private JobConfig(Config config) {
    this.config = config;
    validate();
  }

  /** The keys the pipeline and the commands read, typed and checked once ({@link Settings}). */
  public Settings settings() {
    return settings;
  }

  /** Loads a file (may be null: defaults and overrides only) with overrides "key=value". */
  public static JobConfig load(File file, List<String> overrides) {
    return load(file == null ? null : file.getPath(), overrides);
  }

  /**
   * Loads a config from a local file or, when no local file has that name and it names a Hadoop
   * URI ({@code hdfs:///conf/job.conf}, {@code s3a://...}), from there, so that a driver in
   * cluster deploy mode can read a config no worker has locally. Null: defaults and overrides only.
   */
  public static JobConfig load(String path, List<String> overrides) {
    Config user = ConfigFactory.empty();
    if (path != null) {
      File file = new File(path);
      String text;
      if (file.isFile()) {
        text = null;
      } else if (path.matches("[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
        text = readHadoop(path);
      } else {
        throw new ConfigError("config file " + path + " does not exist or is not a file");
      }
      try {
        user = text == null ? ConfigFactory.parseFile(file) : ConfigFactory.parseString(text);
      } catch (ConfigException e) {
        throw new ConfigError("cannot parse " + path + ": " + e.getMessage());
      }
    }
    String file = path;
    Config over = parseOverrides(overrides);
    checkKnown(user, file == null ? "" : " in " + file);
    Config merged;
    try {
      merged = over.withFallback(user).withFallback(defaults()).resolve();
    } catch (ConfigException e) {
      throw new ConfigError(e.getMessage());
    }
    return new JobConfig(merged);
  }

  private static String readHadoop(String path) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
      // a private instance, closed here: Hadoop caches file systems by scheme and host, and one
      // cached now, before Spark starts, would serve the whole run without Spark's spark.hadoop.* settings
      try (org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.newInstance(p.toUri(),
          new org.apache.hadoop.conf.Configuration())) {
        if (!fs.isFile(p)) throw new ConfigError("config file " + path + " does not exist or is not a file");
        return new String(io.sparkprop.driver.model.HadoopIo.readSmall(fs, p, 16L << 20), java.nio.charset.StandardCharsets.UTF_8);
      }
    } catch (java.io.IOException e) {
      throw new ConfigError("cannot read config file " + path + ": " + e.getMessage());
    }
  }

  /** Parses "key=value" overrides (later ones win) and rejects unknown keys; no other validation. */
  static Config parseOverrides(List<String> overrides) {
    Config over = ConfigFactory.empty();
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) throw new ConfigError("--set takes KEY=VALUE, got '" + o + "'");
      String key = o.substring(0, eq).trim();
      String value = o.substring(eq + 1).trim();
      Config one;
      try {
        one = ConfigFactory.parseString(key + " = " + value);
      } catch (ConfigException e) {
        try {
          one = ConfigFactory.parseString(key + " = " + ConfigValueQuote.quote(value));
        } catch (ConfigException e2) {
          throw new ConfigError("--set " + o + ": cannot parse the value: " + e.getMessage());
        }
      }
      over = one.withFallback(over);
    }
    checkKnown(over, " in --set");
    return over;
  }

  /**
   * The effective config stored in a model (JSON), with overrides: how evaluate and predict read
   * new data the way the model's training data was read.
   */
  public static JobConfig fromModel(String json, List<String> overrides) {
    Config base;
    try {
      base = ConfigFactory.parseString(json);
    } catch (ConfigException e) {
      throw new ConfigError("the model's stored config cannot be parsed: " + e.getMessage());
    }
    return new JobConfig(parseOverrides(overrides).withFallback(base).withFallback(defaults()).resolve());
  }

  /** A string as a quoted HOCON value. */
  public static String quote(String s) {
    return ConfigValueQuote.quote(s);
  }

  static Config defaults() {
    StringBuilder b = new StringBuilder();
    for (Key k : Keys.ALL) {
      if (k.defaultValue() != null) b.append(k.name()).append(" = ").append(k.defaultValue()).append('\n');
    }
    return ConfigFactory.parseString(b.toString());
  }

  private static void checkKnown(Config c, String where) {
    Set<String> known = Keys.ALL.stream().map(Key::name).collect(Collectors.toSet());
    for (String key : new TreeSet<>(c.entrySet().stream().map(Map.Entry::getKey).collect(Collectors.toSet()))) {
      if (!known.contains(key)) {
        throw new ConfigError("unknown key '" + key + "'" + where + "; did you mean '" + nearest(key, known) + "'?"
            + " (docs/configuration.md lists every key)");
      }
    }
  }

  static String nearest(String key, Set<String> known) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String k : new TreeSet<>(known)) {
      int d = levenshtein(key, k);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best;
  }

  static int levenshtein(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  // ---- typed access, each naming its key on error ----

  public String string(String key) {
    try {
      return config.getString(key);
    } catch (ConfigException e) {
      throw new ConfigError(key + ": " + explain(e));
    }
  }

  public int integer(String key, int min, int max) {
    int v;
    try {
      v = config.getInt(key);
    } catch (ConfigException e) {
      throw new ConfigError(key + " must be an integer: " + explain(e));
    }
    if (v < min || v > max) throw new ConfigError(key + " = " + v + " is outside [" + min + ", " + max + "]");
    return v;
  }

  public long longValue(String key, long min) {
    long v;
    try {
      v = config.getLong(key);
    } catch (ConfigException e) {
      throw new ConfigError(key + " must be an integer: " + explain(e));
    }
    if (v < min) throw new ConfigError(key + " = " + v + " must be >= " + min);
    return v;
  }

  public double number(String key, double min, double max, boolean minInclusive) {
    double v;
    try {
      v = config.getDouble(key);
    } catch (ConfigException e) {
      throw new ConfigError(key + " must be a number: " + explain(e));
    }
    boolean ok = Double.isFinite(v) && (minInclusive ? v >= min : v > min) && v <= max;
    if (!ok) {
      throw new ConfigError(key + " = " + v + " is outside " + (minInclusive ? "[" : "(") + min + ", " + max + "]");
    }
    return v;
  }

  public boolean bool(String key) {
    try {
      return config.getBoolean(key);
    } catch (ConfigException e) {
      throw new ConfigError(key + " must be true or false: " + explain(e));
    }
  }

  public List<String> strings(String key) {
    try {
      return config.getStringList(key);
    } catch (ConfigException e) {
      throw new ConfigError(key + " must be a list of strings: " + explain(e));
    }
  }

  private static String explain(ConfigException e) {
    String m = e.getMessage();
    int colon = m.indexOf(": ");
    return colon >= 0 && m.startsWith("String:") ? m.substring(colon + 2) : m;
  }

  /** model.layers as ints, each >= 1, at least two. */
  public int[] layers() {
    if (!config.hasPath("model.layers")) {
      throw new ConfigError("model.layers is required, e.g. model.layers = [784, 256, 128, 10]");
    }
    List<Integer> l;
    try {
      l = config.getIntList("model.layers");
    } catch (ConfigException e) {
      throw new ConfigError("model.layers must be a list of integers, e.g. [784, 256, 128, 10]: " + explain(e));
    }
    if (l.size() < 2) throw new ConfigError("model.layers = " + l + " needs at least an input and an output size");
    for (int i = 0; i < l.size(); i++) {
      if (l.get(i) < 1) throw new ConfigError("model.layers entry " + i + " is " + l.get(i) + " in " + l + "; sizes must be >= 1");
    }
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The network model.* describes (built once, when the config loads). */
  public NetworkSpec network() {
    return network;
  }

  private NetworkSpec parseNetwork() {
    int[] sizes = layers();
    int hidden = sizes.length - 2;
    List<Activation> acts;
    try {
      if (config.getValue("model.activation").valueType() == com.typesafe.config.ConfigValueType.LIST) {
        List<String> names = config.getStringList("model.activation");
        if (names.size() != hidden) {
          throw new ConfigError("model.activation lists " + names.size() + " activations for the " + hidden
              + " hidden layers of " + java.util.Arrays.toString(sizes));
        }
        acts = new ArrayList<>();
        for (String n : names) acts.add(Activation.parse(n));
      } else {
        acts = Collections.nCopies(hidden, Activation.parse(config.getString("model.activation")));
      }
      return new NetworkSpec(sizes, acts, Head.parse(string("model.output")));
    } catch (ConfigError e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new ConfigError("model: " + e.getMessage());
    }
  }

  public Init init() {
    try {
      return Init.parse(string("model.init"));
    } catch (IllegalArgumentException e) {
      throw new ConfigError("model.init: " + e.getMessage());
    }
  }

  /** The optimizer; cosine with decay-steps 0 decays over {@code totalSteps} after warmup. */
  public Optimizer optimizer(long totalSteps) {
    Optimizer.Kind kind;
    try {
      kind = Optimizer.parseKind(string("optimizer.name"));
    } catch (IllegalArgumentException e) {
      throw new ConfigError("optimizer.name: " + e.getMessage());
    }
    double lr = number("optimizer.learning-rate", 0, 1e6, false);
    long warm = longValue("optimizer.warmup-steps", 0);
    long decay = longValue("optimizer.decay-steps", 0);
    String sched = string("optimizer.schedule").toLowerCase(Locale.ROOT);
    LrSchedule s;
    switch (sched) {
      case "constant": s = LrSchedule.constant(); break;
      case "step": s = LrSchedule.step(Math.max(1, decay == 0 ? Math.max(1, totalSteps / 3) : decay), number("optimizer.gamma", 0, 1, false)); break;
      case "exponential": s = LrSchedule.exponential(Math.max(1, decay == 0 ? Math.max(1, totalSteps) : decay), number("optimizer.gamma", 0, 1, false)); break;
      case "cosine": s = LrSchedule.cosine(Math.max(1, decay == 0 ? totalSteps - warm : decay), number("optimizer.min-factor", 0, 1, true)); break;
      default: throw new ConfigError("optimizer.schedule = '" + sched + "'; expected constant, step, exponential or cosine");
    }
    try {
      return Optimizer.of(kind, lr)
          .withMomentum(kind == Optimizer.Kind.MOMENTUM || kind == Optimizer.Kind.NESTEROV ? number("optimizer.momentum", 0, 1, true) : 0)
          .withBetas(number("optimizer.beta1", 0, 1, true), number("optimizer.beta2", 0, 1, true))
          .withWeightDecay(number("optimizer.weight-decay", 0, 1e6, true))
          .withClipNorm(number("optimizer.clip-norm", 0, 1e12, true))
          .withSchedule(warm > 0 ? s.withWarmup(warm) : s);
    } catch (IllegalArgumentException e) {
      throw new ConfigError("optimizer: " + e.getMessage());
    }
  }

  /** The training spec for a data set whose epochs have {@code stepsPerEpoch} steps. */
  public TrainingSpec trainingSpec(long stepsPerEpoch) {
    Settings.Training t = settings.training();
    long total = stepsPerEpoch * t.epochs();
    return new TrainingSpec(network(), init(), optimizer(total), t.batchSize(), t.dropLast(), t.seed(), t.blockRows());
  }

  private void validate() {
    for (Key k : Keys.ALL) {
      if (k.defaultValue() != null && !config.hasPath(k.name())) throw new ConfigError("missing " + k.name());
    }
    network = parseNetwork();
    init();
    optimizer(1000);
    settings = Settings.resolve(this);
    trainingSpec(1);
    storageLevel();
    placement();
    diskReserve();
    gradientReduce();
    threadsPerTask = integer("training.threads-per-task", 0, 4096);
  }

  /** training.disk-reserve-mb in bytes. */
  public long diskReserve() {
    return (long) number("training.disk-reserve-mb", 0, 1e12, true) << 20;
  }

  public io.sparkprop.driver.loop.DistributedTrainer.Reduce gradientReduce() {
    String v = string("training.gradient-reduce");
    try {
      return io.sparkprop.driver.loop.DistributedTrainer.Reduce.parse(v);
    } catch (IllegalArgumentException e) {
      throw new ConfigError("training.gradient-reduce = '" + v + "'; expected auto, driver or executors");
    }
  }

  /** training.threads-per-task resolved for {@code sc} (0: {@link io.sparkprop.driver.data.PackedData#autoThreadsPerTask}). */
  public int threadsPerTask(org.apache.spark.SparkContext sc) {
    return threadsPerTask == 0 ? io.sparkprop.driver.data.PackedData.autoThreadsPerTask(sc) : threadsPerTask;
  }

  public io.sparkprop.driver.data.Placement placement() {
    String v = string("training.data-placement");
    try {
      return io.sparkprop.driver.data.Placement.parse(v);
    } catch (IllegalArgumentException e) {
      throw new ConfigError("training.data-placement = '" + v + "'; expected auto, memory or disk");
    }
  }

  public org.apache.spark.storage.StorageLevel storageLevel() {
    String v = string("training.storage-level");
    try {
      return org.apache.spark.storage.StorageLevel.fromString(v.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigError("training.storage-level = '" + v + "' is not a Spark storage level; e.g. MEMORY_AND_DISK, MEMORY_ONLY, DISK_ONLY");
    }
  }

  /** Keys that may change between a run and its resumption: they do not change what is computed. */
  static final Set<String> RESUMABLE_KEYS = Set.of("run.name", "training.epochs", "training.partitions", "data.test",
      "training.storage-level", "training.data-placement", "training.disk-reserve-mb", "training.gradient-reduce",
      "training.threads-per-task", "training.steps-per-job", "training.on-divergence", "training.max-rollbacks");

  /**
   * Every set key that defines the run's arithmetic (all but {@link #RESUMABLE_KEYS}, output.*
   * and registry.*), as key to rendered value in key order: what a checkpoint must match.
   */
  public java.util.SortedMap<String, String> runDefiningValues() {
    java.util.TreeMap<String, String> out = new java.util.TreeMap<>();
    for (Map.Entry<String, com.typesafe.config.ConfigValue> e : config.entrySet()) {
      String k = e.getKey();
      if (RESUMABLE_KEYS.contains(k) || k.startsWith("output.") || k.startsWith("registry.")) continue;
      out.put(k, e.getValue().render(ConfigRenderOptions.concise()));
    }
    return out;
  }

  /** The effective configuration as a JSON object string without formatting. */
  public String renderCompact() {
    return config.root().render(ConfigRenderOptions.concise());
  }

  /** A copy with further overrides (used by tests and warm starts). */
  public JobConfig with(String key, String hoconValue) {
    return new JobConfig(ConfigFactory.parseString(key + " = " + hoconValue).withFallback(config));
  }
}
