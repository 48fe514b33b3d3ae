package io.sparkprop.driver.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.OptimizerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The model directory format (docs/model-format.md): {@code model.json} (metadata),
 * {@code weights.bin} (little-endian float32, the engine's flat layout) and
 * {@code checksums.sha256} (SHA-256 of both, in sha256sum's format). No Java serialization.
 *
 * <p>Saving writes everything into a hidden sibling directory and renames it into place, so a
 * reader never sees a half-written model; an existing target is never overwritten. Loading checks
 * the format name and version, every size before allocating, both checksums and every value.
 */
public final class ModelFiles {
  public static final String FORMAT = "sparkprop-model";
  public static final int VERSION = 1;
  /** The optional optimizer-state file (float32 slots, little-endian). */
  public static final String OPTIMIZER_FILE = "optimizer.bin";
  /** model.json larger than this is refused before reading (a hostile or wrong file). */
  static final long MAX_JSON_BYTES = 64L << 20;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ModelFiles() {}

  /** The Sparkprop version, from the jar manifest (or "dev" when run from classes). */
  public static String sparkpropVersion() {
    String v = ModelFiles.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  public static void save(Model m, String dir, Configuration conf) {
    save(m, dir, conf, null, null);
  }

  /**
   * Saves {@code m}, and with {@code optimizer} non-null also its optimizer state
   * ({@code optimizer.bin}, for warm starts with {@code training.init-optimizer}).
   *
   * @param optimizerKind the optimizer's name (e.g. ADAM), required with a state
   * @throws IllegalArgumentException when a weight is not finite: such a model is never written
   */
  public static void save(Model m, String dir, Configuration conf, OptimizerState optimizer, String optimizerKind) {
    float[] params = m.params();
    for (int i = 0; i < params.length; i++) {
      if (!Float.isFinite(params[i])) {
        throw new IllegalArgumentException("refusing to write model " + dir + ": parameter " + i + " is " + params[i]
            + " (a model with a non-finite weight is never written)");
      }
    }
    Path target = new Path(dir);
    try {
      FileSystem fs = target.getFileSystem(conf);
      fs.setWriteChecksum(false); // no .crc side files from the local file system: checksums.sha256 covers it
      if (fs.exists(target)) {
        throw new IllegalArgumentException("model directory " + dir + " already exists; models are never overwritten: "
            + "choose a new output.model (e.g. a versioned name)");
      }
      Path parent = target.getParent();
      if (parent != null) fs.mkdirs(parent);
      Path tmp = new Path(parent, "." + target.getName() + ".tmp-" + UUID.randomUUID());
      fs.mkdirs(tmp);
      try {
        byte[] weights = HadoopIo.floatBytes(params);
        String wsum = HadoopIo.sha256(weights);
        ObjectNode meta = metadata(m, wsum, weights.length);
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (optimizer != null) {
          byte[] slots = HadoopIo.floatBytes(optimizer.snapshot());
          ObjectNode o = meta.putObject("optimizer");
          o.put("file", OPTIMIZER_FILE);
          o.put("kind", optimizerKind);
          o.put("steps", optimizer.priorSteps() + optimizer.step());
          o.put("slots", optimizer.slotLength());
          o.put("sha256", HadoopIo.sha256(slots));
          files.put(OPTIMIZER_FILE, slots);
        } else {
          meta.putNull("optimizer");
        }
        files.put("model.json", JSON.writeValueAsBytes(meta));
        files.put("weights.bin", weights);
        for (Map.Entry<String, byte[]> f : files.entrySet()) HadoopIo.write(fs, new Path(tmp, f.getKey()), f.getValue());
        HadoopIo.write(fs, new Path(tmp, HadoopIo.CHECKSUMS), HadoopIo.manifest(files).getBytes(StandardCharsets.US_ASCII));
        if (!fs.rename(tmp, target)) {
          throw new IOException("could not rename " + tmp + " to " + target);
        }
      } catch (IOException | RuntimeException e) {
        fs.delete(tmp, true);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model " + dir + ": " + e.getMessage(), e);
    }
  }

  static ObjectNode metadata(Model m, String weightsSha, long weightBytes) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("formatVersion", VERSION);
    root.put("sparkpropVersion", sparkpropVersion());
    root.put("createdAt", Instant.now().toString());
    ObjectNode net = root.putObject("network");
    ArrayNode layers = net.putArray("layers");
    for (int s : m.spec().sizes()) layers.add(s);
    ArrayNode acts = net.putArray("hiddenActivations");
    for (Activation a : m.spec().hiddenActivations()) acts.add(a.name());
    net.put("output", m.spec().head().configName());
    net.put("paramCount", m.spec().paramCount());
    net.put("layout", "per layer l: W (n_{l+1} x n_l, row-major) then b (n_{l+1})");
    ObjectNode w = root.putObject("weights");
    w.put("file", "weights.bin");
    w.put("dtype", "float32");
    w.put("byteOrder", "little-endian");
    w.put("bytes", weightBytes);
    w.put("sha256", weightsSha);
    ObjectNode sc = root.putObject("featureScaling");
    sc.put("kind", m.scaling().kind().name().toLowerCase().replace('_', '-'));
    ArrayNode off = sc.putArray("offset");
    for (float v : m.scaling().offset()) off.add(v);
    ArrayNode scl = sc.putArray("scale");
    for (float v : m.scaling().scale()) scl.add(v);
    if (m.labels() != null) {
      ArrayNode l = root.putArray("labels");
      m.labels().forEach(l::add);
    } else {
      root.putNull("labels");
    }
    ObjectNode prov = root.putObject("provenance");
    for (Map.Entry<String, String> e : new TreeMap<>(m.provenance()).entrySet()) {
      if (e.getKey().equals("config")) {
        prov.set("config", JSON.readTree(e.getValue()));
      } else {
        prov.put(e.getKey(), e.getValue());
      }
    }
    ObjectNode met = root.putObject("metrics");
    for (Map.Entry<String, Double> e : new TreeMap<>(m.metrics()).entrySet()) met.put(e.getKey(), e.getValue());
    return root;
  }

  public static Model load(String dir, Configuration conf) {
    Path base = new Path(dir);
    try {
      FileSystem fs = base.getFileSystem(conf);
      if (!fs.exists(base)) throw new IllegalArgumentException("model directory " + dir + " does not exist");
      if (!fs.exists(new Path(base, HadoopIo.CHECKSUMS))) {
        throw new IllegalArgumentException(dir + " has no checksums.sha256; it is not a complete Sparkprop model");
      }
      Map<String, String> sums = HadoopIo.readManifest(fs, base, List.of("model.json", "weights.bin"));
      Path jsonPath = new Path(base, "model.json");
      long jsonLen = length(fs, jsonPath, dir);
      if (jsonLen > MAX_JSON_BYTES) {
        throw new IllegalArgumentException(dir + "/model.json is " + jsonLen + " bytes, above the " + MAX_JSON_BYTES
            + "-byte limit; this is not a Sparkprop model");
      }
      byte[] json = HadoopIo.read(fs, jsonPath, (int) jsonLen);
      HadoopIo.verify(json, sums.get("model.json"), dir + "/model.json");
      JsonNode root = JSON.readTree(json);
      String format = text(root, "format", dir);
      if (!FORMAT.equals(format)) throw new IllegalArgumentException(dir + "/model.json has format '" + format + "', expected '" + FORMAT + "'");
      int version = root.path("formatVersion").asInt(-1);
      if (version != VERSION) {
        throw new IllegalArgumentException(dir + " has model format version " + version + "; this Sparkprop ("
            + sparkpropVersion() + ") reads version " + VERSION);
      }
      NetworkSpec spec = spec(root.path("network"), dir);
      long expectBytes = 4L * spec.paramCount();
      if (root.path("network").path("paramCount").asLong(-1) != spec.paramCount()) {
        throw new IllegalArgumentException(dir + "/model.json declares " + root.path("network").path("paramCount")
            + " parameters but its layers hold " + spec.paramCount());
      }
      Path wPath = new Path(base, "weights.bin");
      long wLen = length(fs, wPath, dir);
      if (wLen != expectBytes) {
        throw new IllegalArgumentException(dir + "/weights.bin is " + wLen + " bytes; network " + spec + " needs "
            + expectBytes + " (" + spec.paramCount() + " float32 values): the file is truncated or does not belong to this model");
      }
      byte[] w = HadoopIo.read(fs, wPath, (int) wLen);
      HadoopIo.verify(w, sums.get("weights.bin"), dir + "/weights.bin");
      float[] params = HadoopIo.floats(w, 0, spec.paramCount());
      for (int i = 0; i < params.length; i++) {
        if (!Float.isFinite(params[i])) throw new IllegalArgumentException(dir + "/weights.bin value " + i + " is " + params[i]);
      }
      FeatureScaling scaling = scaling(root.path("featureScaling"), spec.inputSize(), dir);
      List<String> labels = null;
      if (root.path("labels").isArray()) {
        labels = new ArrayList<>();
        for (JsonNode l : root.path("labels")) labels.add(l.asText());
      }
      Map<String, String> prov = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.path("provenance").fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> e = it.next();
        prov.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : JSON.writeValueAsString(e.getValue()));
      }
      Map<String, Double> metrics = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.path("metrics").fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> e = it.next();
        metrics.put(e.getKey(), e.getValue().asDouble());
      }
      return new Model(spec, params, scaling, labels, prov, metrics);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read model " + dir + ": " + e.getMessage(), e);
    }
  }

  private static NetworkSpec spec(JsonNode net, String dir) {
    if (!net.path("layers").isArray()) throw new IllegalArgumentException(dir + "/model.json has no network.layers");
    int n = net.path("layers").size();
    if (n < 2 || n > 10_000) throw new IllegalArgumentException(dir + "/model.json has " + n + " layers");
    int[] sizes = new int[n];
    for (int i = 0; i < n; i++) {
      long v = net.path("layers").get(i).asLong(-1);
      if (v < 1 || v > Integer.MAX_VALUE) throw new IllegalArgumentException(dir + "/model.json layer " + i + " has size " + v);
      sizes[i] = (int) v;
    }
    List<Activation> acts = new ArrayList<>();
    for (JsonNode a : net.path("hiddenActivations")) acts.add(Activation.parse(a.asText()));
    return new NetworkSpec(sizes, acts, Head.parse(net.path("output").asText("")));
  }

  private static FeatureScaling scaling(JsonNode s, int d, String dir) {
    FeatureScaling.Kind kind = FeatureScaling.parseKind(s.path("kind").asText("none"));
    if (s.path("offset").size() != d || s.path("scale").size() != d) {
      throw new IllegalArgumentException(dir + "/model.json feature scaling has " + s.path("offset").size() + " offsets and "
          + s.path("scale").size() + " scales for " + d + " features");
    }
    float[] off = new float[d];
    float[] sc = new float[d];
    for (int i = 0; i < d; i++) {
      off[i] = (float) s.path("offset").get(i).asDouble();
      sc[i] = (float) s.path("scale").get(i).asDouble();
    }
    return new FeatureScaling(kind, off, sc);
  }

  private static String text(JsonNode root, String field, String dir) {
    JsonNode n = root.get(field);
    if (n == null || !n.isTextual()) throw new IllegalArgumentException(dir + "/model.json has no '" + field + "'; this is not a Sparkprop model");
    return n.asText();
  }

  private static long length(FileSystem fs, Path p, String dir) throws IOException {
    if (!fs.exists(p)) throw new IllegalArgumentException(dir + " has no " + p.getName() + "; it is not a complete Sparkprop model");
    return fs.getFileStatus(p).getLen();
  }

  static byte[] weightBytes(float[] params) {
    return HadoopIo.floatBytes(params);
  }

  static String sha256(byte[] data) {
    return HadoopIo.sha256(data);
  }

  /**
   * The optimizer state saved with a model ({@code output.save-optimizer-state}), as a finished
   * run's state ({@link OptimizerState#warm} continues it).
   *
   * @throws IllegalArgumentException when the model has none, or it was made by another
   *     optimizer kind or for another parameter count
   */
  public static OptimizerState loadOptimizerState(String dir, Configuration conf, String expectedKind, int slots) {
    Path base = new Path(dir);
    try {
      FileSystem fs = base.getFileSystem(conf);
      Map<String, String> sums = HadoopIo.readManifest(fs, base, List.of("model.json", "weights.bin"));
      byte[] json = HadoopIo.readSmall(fs, new Path(base, "model.json"), MAX_JSON_BYTES);
      HadoopIo.verify(json, sums.get("model.json"), dir + "/model.json");
      JsonNode o = JSON.readTree(json).path("optimizer");
      if (!o.isObject() || !sums.containsKey(OPTIMIZER_FILE)) {
        throw new IllegalArgumentException("model " + dir + " was saved without its optimizer state; training.init-optimizer = true "
            + "needs a model trained with output.save-optimizer-state = true (or set training.init-optimizer = false)");
      }
      String kind = o.path("kind").asText();
      if (!kind.equalsIgnoreCase(expectedKind)) {
        throw new IllegalArgumentException("model " + dir + " holds " + kind + " optimizer state but optimizer.name is "
            + expectedKind.toLowerCase() + "; set optimizer.name = " + kind.toLowerCase() + " or training.init-optimizer = false");
      }
      long n = o.path("slots").asLong(-1);
      if (n != slots) {
        throw new IllegalArgumentException("model " + dir + " holds " + n + " optimizer slots; " + expectedKind + " on this network needs " + slots);
      }
      long steps = o.path("steps").asLong(-1);
      if (steps < 0) throw new IllegalArgumentException("model " + dir + "/model.json has optimizer steps " + o.path("steps"));
      Path p = new Path(base, OPTIMIZER_FILE);
      long len = HadoopIo.length(fs, p, dir);
      if (len != 4L * slots) throw new IllegalArgumentException(p + " is " + len + " bytes, expected " + 4L * slots);
      byte[] b = HadoopIo.read(fs, p, (int) len);
      HadoopIo.verify(b, sums.get(OPTIMIZER_FILE), dir + "/" + OPTIMIZER_FILE);
      float[] values = HadoopIo.floats(b, 0, slots);
      for (int i = 0; i < values.length; i++) {
        if (!Float.isFinite(values[i])) throw new IllegalArgumentException(p + " value " + i + " is " + values[i]);
      }
      return OptimizerState.restore(0, values, steps);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read model " + dir + ": " + e.getMessage(), e);
    }
  }
}
