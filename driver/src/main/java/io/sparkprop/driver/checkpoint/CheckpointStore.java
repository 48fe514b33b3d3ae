package io.sparkprop.driver.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkprop.driver.data.DataFingerprint;
import io.sparkprop.driver.loop.EpochReport;
import io.sparkprop.driver.loop.TrainingState;
import io.sparkprop.driver.model.CrashPoints;
import io.sparkprop.driver.model.HadoopIo;
import io.sparkprop.driver.model.ModelFiles;
import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.optim.OptimizerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Versioned checkpoints in one folder on any Hadoop file system (docs/checkpoint-format.md).
 *
 * <p>A checkpoint is a directory {@code ckpt-<12-digit step>} of three files: {@code state.bin}
 * (the parameters, optimizer slots and best parameters as little-endian float32 behind a magic
 * header), {@code checkpoint.json} (step, early-stopping state, history, the run's identity) and
 * {@code checksums.sha256}. It is written under a hidden temporary name and renamed; the manifest
 * is written last, and a directory without a manifest that verifies is never used, so on object
 * stores (where rename copies) a checkpoint is visible only once complete. The newest
 * {@code keep} are kept. Nothing is Java-serialized; every size is checked before allocating.
 */
public final class CheckpointStore {
  public static final String FORMAT = "sparkprop-checkpoint";
  public static final int VERSION = 1;
  static final String STATE = "state.bin";
  static final String META = "checkpoint.json";
  static final String PREFIX = "ckpt-";
  private static final byte[] MAGIC = "SPCKPT01".getBytes(StandardCharsets.US_ASCII);
  private static final long MAX_META_BYTES = 64L << 20;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final String dir;
  private final Configuration conf;
  private final int keep;

  /** What a write produced: where, which step, how many bytes, how long it took. */
  public record Saved(String path, long step, long bytes, double seconds) {}

  /** A checkpoint read back and verified. */
  public record Loaded(String path, TrainingState state, RunIdentity identity) {}

  /**
   * @param dir the checkpoint folder (any Hadoop path; created on first write)
   * @param keep how many of the newest checkpoints to keep, >= 1
   */
  public CheckpointStore(String dir, Configuration conf, int keep) {
    if (keep < 1) throw new IllegalArgumentException("output.keep-checkpoints must be >= 1, got " + keep);
    this.dir = dir;
    this.conf = conf;
    this.keep = keep;
  }

  public String dir() {
    return dir;
  }

  /** Writes a checkpoint of {@code s}, then deletes all but the newest {@code keep}. */
  public Saved write(TrainingState s, RunIdentity id) {
    long t0 = System.nanoTime();
    Path base = new Path(dir);
    Path target = new Path(base, name(s.step()));
    try {
      FileSystem fs = base.getFileSystem(conf);
      fs.setWriteChecksum(false); // no .crc side files: the manifest covers every file
      fs.mkdirs(base);
      Path tmp = new Path(base, "." + target.getName() + ".tmp-" + UUID.randomUUID());
      fs.mkdirs(tmp);
      long bytes;
      try {
        byte[] state = stateBytes(s);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(STATE, state);
        files.put(META, JSON.writeValueAsBytes(metadata(s, id, state)));
        for (Map.Entry<String, byte[]> f : files.entrySet()) HadoopIo.write(fs, new Path(tmp, f.getKey()), f.getValue());
        byte[] manifest = HadoopIo.manifest(files).getBytes(StandardCharsets.US_ASCII);
        HadoopIo.write(fs, new Path(tmp, HadoopIo.CHECKSUMS), manifest); // last: it makes the checkpoint valid
        bytes = state.length + files.get(META).length + manifest.length;
        CrashPoints.point("checkpoint:before-rename");
        Path old = null;
        if (fs.exists(target)) { // the same step saved again (after a rollback): set the old one aside, never delete first
          old = new Path(base, "." + target.getName() + OLD + UUID.randomUUID());
          if (!fs.rename(target, old)) throw new IOException("could not rename " + target + " to " + old);
          CrashPoints.point("checkpoint:old-set-aside");
        }
        // rename onto an absent name: on HDFS a directory renamed onto an existing one moves inside it
        if (!fs.rename(tmp, target)) {
          if (old != null) fs.rename(old, target);
          throw new IOException("could not rename " + tmp + " to " + target);
        }
        CrashPoints.point("checkpoint:after-rename");
        if (old != null) fs.delete(old, true);
      } catch (IOException | RuntimeException e) {
        fs.delete(tmp, true);
        throw e;
      }
      prune(fs, base);
      return new Saved(target.toString(), s.step(), bytes, (System.nanoTime() - t0) / 1e9);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * The newest valid checkpoint that can continue the run {@code identity}, or null when there is
   * none. A checkpoint of another run (different run-defining settings or training data) is
   * refused with an {@link IllegalArgumentException} naming each difference and then {@code fix};
   * one written with another partition count is used with a warning (the result then equals an
   * uninterrupted run only up to float32 summation order).
   */
  public Loaded resumable(RunIdentity identity, java.util.function.Consumer<String> warn, String fix) {
    Loaded c = newest(warn);
    if (c == null) return null;
    String why = identity.refusal(c.identity());
    if (why != null) {
      throw new IllegalArgumentException("checkpoint " + c.path() + " belongs to another run and cannot be resumed: " + why + ". " + fix);
    }
    if (c.identity().partitions() != identity.partitions()) {
      warn.accept("checkpoint " + c.path() + " was written with " + c.identity().partitions() + " training partitions, this run has "
          + identity.partitions() + "; the result will equal an uninterrupted run only up to float32 summation order");
    }
    return c;
  }

  /** Infix of a checkpoint set aside while the same step is written again. */
  static final String OLD = ".old-";

  /**
   * Puts back a checkpoint set aside by a replacement that did not finish (the writer died between
   * setting the old one aside and renaming the new one in), so that step keeps one valid checkpoint.
   */
  private static void restoreSetAside(FileSystem fs, Path base) throws IOException {
    for (FileStatus st : fs.listStatus(base)) {
      String n = st.getPath().getName();
      int at = n.indexOf(OLD);
      if (!n.startsWith("." + PREFIX) || at < 0) continue;
      Path original = new Path(base, n.substring(1, at));
      if (fs.exists(original)) {
        fs.delete(st.getPath(), true); // the replacement completed; only the deletion was missed
      } else {
        fs.rename(st.getPath(), original);
      }
    }
  }

  static String name(long step) {
    return String.format("%s%012d", PREFIX, step);
  }

  /** Checkpoint directories (complete or not), oldest first. */
  public List<Path> list() {
    Path base = new Path(dir);
    try {
      FileSystem fs = base.getFileSystem(conf);
      if (!fs.exists(base)) return List.of();
      restoreSetAside(fs, base);
      List<Path> out = new ArrayList<>();
      for (FileStatus st : fs.listStatus(base)) {
        String n = st.getPath().getName();
        if (st.isDirectory() && n.startsWith(PREFIX) && n.length() == PREFIX.length() + 12
            && n.substring(PREFIX.length()).chars().allMatch(Character::isDigit)) {
          out.add(st.getPath());
        }
      }
      out.sort((a, b) -> a.getName().compareTo(b.getName()));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The newest checkpoint that reads back and verifies, or null when there is none. Every newer
   * one that fails (damaged, truncated, incomplete) is reported to {@code warn} with the file and
   * the reason, and skipped.
   */
  public Loaded newest(Consumer<String> warn) {
    List<Path> all = list();
    for (int i = all.size() - 1; i >= 0; i--) {
      try {
        return read(all.get(i), conf);
      } catch (IllegalArgumentException e) {
        warn.accept("checkpoint " + all.get(i) + " is unusable (" + e.getMessage() + "); falling back to an older one");
      }
    }
    return null;
  }

  /** Deletes every checkpoint and temporary directory in the folder (for --fresh). */
  public int clear() {
    Path base = new Path(dir);
    try {
      FileSystem fs = base.getFileSystem(conf);
      if (!fs.exists(base)) return 0;
      int n = 0;
      for (FileStatus st : fs.listStatus(base)) {
        String name = st.getPath().getName();
        if (name.startsWith(PREFIX) || name.startsWith("." + PREFIX)) {
          fs.delete(st.getPath(), true);
          n++;
        }
      }
      return n;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear checkpoints in " + dir + ": " + e.getMessage(), e);
    }
  }

  private void prune(FileSystem fs, Path base) throws IOException {
    List<Path> all = list();
    for (int i = 0; i < all.size() - keep; i++) fs.delete(all.get(i), true);
    for (FileStatus st : fs.listStatus(base)) { // temporaries of writers that died
      String n = st.getPath().getName();
      if (n.startsWith("." + PREFIX) && st.getModificationTime() < System.currentTimeMillis() - 3_600_000L) {
        fs.delete(st.getPath(), true);
      }
    }
  }

  // ---- format ----

  private static byte[] stateBytes(TrainingState s) {
    float[] p = s.params();
    float[] slots = s.optimizer().snapshot();
    float[] best = s.bestParams();
    long n = MAGIC.length + 4L * (p.length + slots.length + (best == null ? 0 : best.length));
    if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("a checkpoint of " + n + " bytes exceeds one array");
    ByteBuffer b = ByteBuffer.allocate((int) n).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC);
    b.asFloatBuffer().put(p).put(slots).put(best == null ? new float[0] : best);
    return b.array();
  }

  private static ObjectNode metadata(TrainingState s, RunIdentity id, byte[] state) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("formatVersion", VERSION);
    root.put("sparkpropVersion", ModelFiles.sparkpropVersion());
    root.put("createdAt", Instant.now().toString());
    root.put("step", s.step());
    ObjectNode st = root.putObject("state");
    st.put("file", STATE);
    st.put("bytes", state.length);
    st.put("params", s.params().length);
    st.put("slots", s.optimizer().slotLength());
    st.put("hasBestParams", s.bestParams() != null);
    ObjectNode opt = root.putObject("optimizer");
    opt.put("step", s.optimizer().step());
    opt.put("priorSteps", s.optimizer().priorSteps());
    opt.put("lrScale", s.lrScale());
    opt.put("rollbacks", s.rollbacks());
    ObjectNode es = root.putObject("earlyStopping");
    es.put("firstEpoch", s.firstEpoch());
    putDouble(es, "best", s.best());
    es.put("bestEpoch", s.bestEpoch());
    es.put("sinceBest", s.sinceBest());
    es.put("stoppedEarly", s.stoppedEarly());
    ObjectNode ep = root.putObject("epochSums");
    ep.put("loss", s.epochSums().loss());
    ep.put("weight", s.epochSums().weight());
    ep.put("count", s.epochSums().count());
    ArrayNode h = root.putArray("history");
    for (EpochReport r : s.history()) {
      ObjectNode e = h.addObject();
      e.put("epoch", r.epoch());
      e.put("steps", r.steps());
      e.put("globalStep", r.globalStep());
      putDouble(e, "trainLoss", r.trainLoss());
      if (r.validation() == null) {
        e.putNull("validation");
      } else {
        ArrayNode v = e.putArray("validation");
        for (double x : r.validation().toArray()) v.add(x);
      }
      putDouble(e, "seconds", r.seconds());
      putDouble(e, "examplesPerSecond", r.examplesPerSecond());
    }
    ObjectNode run = root.putObject("run");
    run.put("configHash", id.configHash());
    ObjectNode cfg = run.putObject("config");
    id.config().forEach(cfg::put);
    ObjectNode d = run.putObject("data");
    d.put("rows", id.data().rows());
    d.put("features", id.data().features());
    d.put("targetWidth", id.data().targetWidth());
    d.put("contentHash", String.format("%016x", id.data().contentHash()));
    run.put("partitions", id.partitions());
    run.put("paramCount", id.paramCount());
    run.put("slotCount", id.slotCount());
    return root;
  }

  /** Non-finite doubles (a NaN loss, no best yet) as JSON null; finite ones round-trip exactly. */
  private static void putDouble(ObjectNode o, String field, double v) {
    if (Double.isFinite(v)) o.put(field, v);
    else o.putNull(field);
  }

  private static double getDouble(JsonNode o, String field) {
    JsonNode n = o.path(field);
    return n.isNumber() ? n.asDouble() : Double.NaN;
  }

  /** Reads and verifies one checkpoint directory. */
  public static Loaded read(Path p, Configuration conf) {
    String where = p.toString();
    try {
      FileSystem fs = p.getFileSystem(conf);
      Map<String, String> sums = HadoopIo.readManifest(fs, p, List.of(STATE, META));
      byte[] meta = HadoopIo.readSmall(fs, new Path(p, META), MAX_META_BYTES);
      HadoopIo.verify(meta, sums.get(META), where + "/" + META);
      JsonNode root = JSON.readTree(meta);
      if (!FORMAT.equals(root.path("format").asText())) {
        throw new IllegalArgumentException(where + "/" + META + " has format '" + root.path("format").asText() + "', expected " + FORMAT);
      }
      if (root.path("formatVersion").asInt(-1) != VERSION) {
        throw new IllegalArgumentException(where + " has checkpoint format version " + root.path("formatVersion")
            + "; this Sparkprop reads version " + VERSION);
      }
      JsonNode st = root.path("state");
      long n = st.path("params").asLong(-1);
      long m = st.path("slots").asLong(-1);
      boolean hasBest = st.path("hasBestParams").asBoolean(false);
      if (n < 1 || m < 0 || n > Integer.MAX_VALUE || m > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(where + "/" + META + " declares " + n + " parameters and " + m + " slots");
      }
      long expect = MAGIC.length + 4L * (n + m + (hasBest ? n : 0));
      Path statePath = new Path(p, STATE);
      long len = HadoopIo.length(fs, statePath, where);
      if (len != expect || expect > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(statePath + " is " + len + " bytes; " + n + " parameters, " + m + " slots"
            + (hasBest ? " and best parameters" : "") + " need " + expect + ": the file is truncated or damaged");
      }
      byte[] state = HadoopIo.read(fs, statePath, (int) len);
      HadoopIo.verify(state, sums.get(STATE), where + "/" + STATE);
      if (!Arrays.equals(Arrays.copyOf(state, MAGIC.length), MAGIC)) throw new IllegalArgumentException(statePath + " has no checkpoint header");
      int off = MAGIC.length;
      float[] params = HadoopIo.floats(state, off, (int) n);
      float[] slots = HadoopIo.floats(state, off + 4 * (int) n, (int) m);
      float[] best = hasBest ? HadoopIo.floats(state, off + 4 * (int) (n + m), (int) n) : null;
      JsonNode opt = root.path("optimizer");
      OptimizerState os = OptimizerState.restore(opt.path("step").asLong(-1), slots, opt.path("priorSteps").asLong(0));
      if (os.step() != root.path("step").asLong(-2)) throw new IllegalArgumentException(where + "/" + META + " has inconsistent steps");
      JsonNode es = root.path("earlyStopping");
      JsonNode ep = root.path("epochSums");
      List<EpochReport> history = new ArrayList<>();
      for (JsonNode e : root.path("history")) {
        EvalSums val = null;
        if (e.path("validation").isArray()) {
          double[] v = new double[e.path("validation").size()];
          for (int i = 0; i < v.length; i++) v[i] = e.path("validation").get(i).asDouble();
          val = EvalSums.fromArray(v);
        }
        history.add(new EpochReport(e.path("epoch").asInt(), e.path("steps").asInt(), e.path("globalStep").asLong(),
            getDouble(e, "trainLoss"), val, getDouble(e, "seconds"), getDouble(e, "examplesPerSecond")));
      }
      TrainingState s = new TrainingState(params, os, es.path("firstEpoch").asInt(0), getDouble(es, "best"), best,
          es.path("bestEpoch").asInt(-1), es.path("sinceBest").asInt(0), es.path("stoppedEarly").asBoolean(false),
          new LossSum(ep.path("loss").asDouble(), ep.path("weight").asDouble(), ep.path("count").asLong()), history,
          opt.path("lrScale").asDouble(1.0), opt.path("rollbacks").asInt(0));
      JsonNode run = root.path("run");
      TreeMap<String, String> cfg = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = run.path("config").fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> e = it.next();
        cfg.put(e.getKey(), e.getValue().asText());
      }
      JsonNode d = run.path("data");
      DataFingerprint fp = new DataFingerprint(d.path("rows").asLong(), d.path("features").asInt(), d.path("targetWidth").asInt(),
          Long.parseUnsignedLong(d.path("contentHash").asText("0"), 16));
      RunIdentity id = new RunIdentity(cfg, fp, run.path("partitions").asInt(), run.path("paramCount").asInt(),
          run.path("slotCount").asInt());
      if (!id.configHash().equals(run.path("configHash").asText())) {
        throw new IllegalArgumentException(where + "/" + META + " has a config hash that does not match its config");
      }
      return new Loaded(where, s, id);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + where + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      if (e instanceof IllegalArgumentException) throw e;
      throw new IllegalArgumentException(where + " is malformed: " + e, e);
    }
  }
}
