package io.sparkprop.driver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkprop.driver.model.CrashPoints;
import io.sparkprop.driver.model.HadoopIo;
import io.sparkprop.driver.model.Model;
import io.sparkprop.driver.model.ModelFiles;
import io.sparkprop.trainer.optim.OptimizerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * A versioned model registry on any Hadoop path:
 *
 * <pre>
 * REGISTRY/
 *   registry.json        marks the folder as a registry (format, version)
 *   CURRENT              the published version's name, e.g. "v0003"
 *   v0001/ v0002/ ...    immutable versions: model/ (a model directory) and record.json
 *   rejected/r-.../      candidates a gate refused, same layout, never current
 *   events/*.json        one record per publish, promote, rollback and refusal
 *   LOCK.000000000007    the lock's newest generation, held by the one job writing (see {@link RegistryLock})
 * </pre>
 *
 * A version is written under a hidden temporary name and renamed into place; {@code CURRENT}
 * moves (an atomic rename over the old file) only after the new version has been re-read with
 * its checksums verified. A crash at any point leaves {@code CURRENT} naming a complete version
 * (or absent in a registry that never published). Writers hold the lock; readers need none.
 */
public final class Registry {
  static final String MARKER = "registry.json";
  static final String CURRENT = "CURRENT";
  static final String RECORD = "record.json";
  static final String MODEL = "model";
  static final String FORMAT = "sparkprop-registry";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path root;
  private final FileSystem fs;
  private final Configuration conf;
  private RegistryLock held; // the lock this job took through lock(); every mutation checks it first

  private Registry(Path root, FileSystem fs, Configuration conf) {
    this.root = root;
    this.fs = fs;
    this.conf = conf;
  }

  /** Opens the registry at {@code dir}, creating an empty one when the folder is absent or empty. */
  public static Registry openOrCreate(String dir, Configuration conf) {
    Path root = new Path(dir);
    requireAtomicStore(root);
    try {
      FileSystem fs = root.getFileSystem(conf);
      fs.setWriteChecksum(false);
      Path marker = new Path(root, MARKER);
      boolean exists = fs.exists(marker);
      if (!exists && fs.exists(root)) {
        // another job may be creating this registry right now: its marker's temporary (or the
        // marker itself, once renamed) is all it has written
        for (FileStatus st : fs.listStatus(root)) {
          String name = st.getPath().getName();
          if (name.equals(MARKER)) {
            exists = true;
          } else if (!name.startsWith("." + MARKER + ".tmp-")) {
            throw new IllegalArgumentException(dir + " is not empty and is not a Sparkprop registry (it has no " + MARKER
                + "); choose an empty or new folder for --registry");
          }
        }
      }
      if (!exists) {
        fs.mkdirs(root);
        ObjectNode m = JSON.createObjectNode();
        m.put("format", FORMAT);
        m.put("formatVersion", 1);
        m.put("createdAt", Instant.now().toString());
        Path tmp = new Path(root, "." + MARKER + ".tmp-" + UUID.randomUUID());
        HadoopIo.write(fs, tmp, JSON.writeValueAsBytes(m));
        if (!fs.rename(tmp, marker)) fs.delete(tmp, false); // another job created it meanwhile
      }
      return new Registry(root, fs, conf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open registry " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Object stores whose Hadoop connectors have neither an atomic create-if-absent nor an atomic
   * rename: on them two jobs could both take the lock, and a crash mid-rename could leave
   * {@code CURRENT} naming a partial version.
   */
  static final Set<String> OBJECT_STORES = Set.of("s3a", "s3", "s3n", "gs", "oss", "cosn", "wasb", "wasbs");

  static void requireAtomicStore(Path root) {
    String scheme = root.toUri().getScheme();
    if (scheme != null && OBJECT_STORES.contains(scheme.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("registry " + root + " is on " + scheme + "://, an object store without an atomic"
          + " create-if-absent and rename, so two jobs could both publish and a crash could leave CURRENT naming a partial"
          + " version; keep the registry on HDFS, a local or NFS folder, or ABFS with a hierarchical namespace (data and"
          + " checkpoints may stay on " + scheme + "://)");
    }
  }

  /** Opens an existing registry. */
  public static Registry open(String dir, Configuration conf) {
    if (!isRegistry(dir, conf)) throw new IllegalArgumentException(dir + " is not a Sparkprop registry (no " + MARKER + ")");
    try {
      Path root = new Path(dir);
      FileSystem fs = root.getFileSystem(conf);
      fs.setWriteChecksum(false);
      return new Registry(root, fs, conf);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static boolean isRegistry(String dir, Configuration conf) {
    try {
      Path p = new Path(dir, MARKER);
      return p.getFileSystem(conf).exists(p);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * A model directory for {@code --model} and {@code training.init-from}: a registry's current
   * version, or {@code dir} itself when it is not a registry.
   */
  public static String resolveModelDir(String dir, Configuration conf) {
    if (!isRegistry(dir, conf)) return dir;
    Registry r = open(dir, conf);
    String cur = r.current();
    if (cur == null) throw new IllegalArgumentException("registry " + dir + " has no published version yet (no CURRENT)");
    return r.modelDir(cur);
  }

  public String root() {
    return root.toString();
  }

  /** Takes the registry's lock; see {@link RegistryLock}. */
  public RegistryLock lock(long timeoutMillis) {
    requireAtomicStore(root);
    held = RegistryLock.acquire(fs, root, timeoutMillis);
    return held;
  }

  /**
   * Fails unless this job holds the lock now: called immediately before every change.
   *
   * @throws IllegalStateException when {@link #lock} was never called (a programming error)
   * @throws RegistryLockLostException when another job took the lock over
   */
  private void mustHold(String what) {
    if (held == null) throw new IllegalStateException("registry " + root + ": " + what + " needs the lock; call lock() first");
    held.check(what);
  }

  /** The published version's name, or null before the first publish. */
  public String current() {
    Path p = new Path(root, CURRENT);
    try {
      if (!fs.exists(p)) return null;
      String v = new String(HadoopIo.readSmall(fs, p, 256), StandardCharsets.UTF_8).trim();
      if (!isVersionName(v)) throw new IllegalArgumentException(p + " holds '" + v + "', not a version name like v0003");
      return v;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
    }
  }

  public String modelDir(String version) {
    return new Path(new Path(root, version), MODEL).toString();
  }

  static boolean isVersionName(String n) {
    return n.length() >= 5 && n.charAt(0) == 'v' && n.substring(1).chars().allMatch(Character::isDigit);
  }

  /** Version names in the registry (complete ones: temporaries are hidden), oldest first. */
  public List<String> versions() {
    try {
      List<String> out = new ArrayList<>();
      for (FileStatus st : fs.listStatus(root)) {
        String n = st.getPath().getName();
        if (st.isDirectory() && isVersionName(n)) out.add(n);
      }
      out.sort((a, b) -> Long.compare(Long.parseLong(a.substring(1)), Long.parseLong(b.substring(1))));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list registry " + root + ": " + e.getMessage(), e);
    }
  }

  /** The record of a version (or of a rejected candidate, by its path relative to the root). */
  public JsonNode record(String version) {
    Path p = new Path(new Path(root, version), RECORD);
    try {
      if (!fs.exists(p)) throw new IllegalArgumentException("registry " + root + " has no version " + version);
      return JSON.readTree(HadoopIo.readSmall(fs, p, 16L << 20));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
    }
  }

  private String nextVersion() {
    List<String> v = versions();
    long last = v.isEmpty() ? 0 : Long.parseLong(v.get(v.size() - 1).substring(1));
    return String.format("v%04d", last + 1);
  }

  /**
   * Writes a new immutable version (model, optional optimizer state, record) and, when
   * {@code publish}, moves CURRENT to it after re-reading it. Call with the lock held.
   *
   * @param record the decision record; this adds "version" and "createdAt"
   * @return the new version's name
   */
  public String addVersion(Model model, OptimizerState optimizer, String optimizerKind, ObjectNode record, boolean publish) {
    String name = nextVersion();
    mustHold("writing " + name);
    record.put("version", name);
    record.put("createdAt", Instant.now().toString());
    writeEntry(new Path(root, name), model, optimizer, optimizerKind, record);
    CrashPoints.point("publish:after-version-written");
    if (publish) setCurrent(name, record.path("reason").asText("published"), "publish");
    return name;
  }

  /** Keeps a refused candidate under rejected/ (never current); returns its folder relative to the root. */
  public String addRejected(Model model, ObjectNode record) {
    String name = "rejected/r-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(ZoneOffset.UTC).format(Instant.now());
    mustHold("keeping the refused candidate " + name);
    record.put("version", name);
    record.put("createdAt", Instant.now().toString());
    writeEntry(new Path(root, name), model, null, null, record);
    event("refuse", null, name, record.path("reason").asText());
    return name;
  }

  private void writeEntry(Path target, Model model, OptimizerState optimizer, String optimizerKind, ObjectNode record) {
    Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
    try {
      fs.mkdirs(tmp);
      ModelFiles.save(model, new Path(tmp, MODEL).toString(), conf, optimizer, optimizerKind);
      CrashPoints.point("publish:after-model-written");
      HadoopIo.write(fs, new Path(tmp, RECORD), JSON.writeValueAsBytes(record));
      CrashPoints.point("publish:before-version-rename");
      if (fs.exists(target)) throw new IllegalStateException(target + " already exists; versions are immutable");
      mustHold("writing " + target.getName());
      if (!fs.rename(tmp, target)) throw new IOException("could not rename " + tmp + " to " + target);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      deleteQuietly(tmp);
      throw e;
    }
  }

  /**
   * Moves CURRENT to {@code version} after verifying it (model checksums and record), and logs
   * the move. Call with the lock held.
   */
  public void setCurrent(String version, String reason, String action) {
    verify(version);
    String before = current();
    Path cur = new Path(root, CURRENT);
    Path tmp = new Path(root, "." + CURRENT + ".tmp-" + UUID.randomUUID());
    try {
      HadoopIo.write(fs, tmp, (version + "\n").getBytes(StandardCharsets.UTF_8));
      CrashPoints.point("publish:before-current-rename");
      mustHold("moving " + CURRENT + " from " + before + " to " + version);
      FileContext.getFileContext(root.toUri(), conf).rename(fs.makeQualified(tmp), fs.makeQualified(cur), Options.Rename.OVERWRITE);
      CrashPoints.point("publish:after-current-rename");
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("cannot move " + cur + " to " + version + ": " + e.getMessage(), e);
    }
    event(action, before, version, reason);
  }

  /** Re-reads a version: its model with every checksum, and its record. */
  public void verify(String version) {
    if (!isVersionName(version)) throw new IllegalArgumentException("'" + version + "' is not a version name like v0003");
    ModelFiles.load(modelDir(version), conf);
    record(version);
  }

  private void event(String action, String from, String to, String reason) {
    ObjectNode e = JSON.createObjectNode();
    e.put("at", Instant.now().toString());
    e.put("action", action);
    e.put("from", from);
    e.put("to", to);
    e.put("reason", reason);
    Path dir = new Path(root, "events");
    try {
      fs.mkdirs(dir);
      HadoopIo.write(fs, new Path(dir, String.format("%013d-%s-%s.json", System.currentTimeMillis(), action,
          UUID.randomUUID().toString().substring(0, 8))), JSON.writeValueAsBytes(e));
    } catch (IOException ex) {
      System.err.println("sparkprop: warning: could not log the registry event " + action + " " + to + ": " + ex.getMessage());
    }
  }

  /** Every event, oldest first. */
  public List<JsonNode> events() {
    Path dir = new Path(root, "events");
    try {
      if (!fs.exists(dir)) return List.of();
      List<FileStatus> files = new ArrayList<>(List.of(fs.listStatus(dir)));
      files.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
      List<JsonNode> out = new ArrayList<>();
      for (FileStatus f : files) out.add(JSON.readTree(HadoopIo.readSmall(fs, f.getPath(), 1 << 20)));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read events of " + root + ": " + e.getMessage(), e);
    }
  }

  /**
   * The version a rollback from {@code version} returns to: the one it replaced when it was
   * published (its record's "replaces"), or null.
   */
  public String rollbackTarget(String version) {
    JsonNode r = record(version).path("replaces");
    return r.isTextual() && isVersionName(r.asText()) ? r.asText() : null;
  }

  /**
   * Deletes all but the newest {@code keep} versions, never the current one or its rollback
   * target; also rejected candidates beyond {@code keep} and temporaries older than an hour.
   * Call with the lock held. Returns the deleted versions.
   */
  public List<String> prune(int keep) {
    mustHold("pruning");
    List<String> deleted = new ArrayList<>();
    String cur = current();
    String target = cur == null ? null : rollbackTarget(cur);
    List<String> all = versions();
    try {
      for (int i = 0; i < all.size() - keep; i++) {
        String v = all.get(i);
        if (v.equals(cur) || v.equals(target)) continue;
        mustHold("pruning " + v);
        fs.delete(new Path(root, v), true);
        deleted.add(v);
      }
      Path rej = new Path(root, "rejected");
      if (fs.exists(rej)) {
        List<FileStatus> r = new ArrayList<>(List.of(fs.listStatus(rej)));
        r.removeIf(s -> s.getPath().getName().startsWith("."));
        r.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
        for (int i = 0; i < r.size() - keep; i++) {
          mustHold("pruning " + r.get(i).getPath().getName());
          fs.delete(r.get(i).getPath(), true);
        }
      }
      long old = System.currentTimeMillis() - 3_600_000L;
      for (Path dir : new Path[] {root, rej}) {
        if (!fs.exists(dir)) continue;
        for (FileStatus st : fs.listStatus(dir)) {
          if (st.getPath().getName().startsWith(".") && st.getPath().getName().contains(".tmp-") && st.getModificationTime() < old) {
            fs.delete(st.getPath(), true);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prune registry " + root + ": " + e.getMessage(), e);
    }
    return deleted;
  }

  private void deleteQuietly(Path p) {
    try {
      fs.delete(p, true);
    } catch (IOException ignored) {
      // best effort: prune removes stale temporaries later
    }
  }
}
