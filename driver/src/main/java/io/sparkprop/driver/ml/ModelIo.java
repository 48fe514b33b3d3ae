package io.sparkprop.driver.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.driver.model.Model;
import io.sparkprop.driver.model.ModelFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;

/**
 * Saving and loading the Spark ML models: Spark's metadata JSON at {@code PATH/metadata} (so
 * {@code PipelineModel.load} finds the class) and the weights as a Sparkprop model directory at
 * {@code PATH/model} (docs/model-format.md).
 */
final class ModelIo {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelIo() {}

  static void save(Params owner, Model model, String path, Configuration conf) {
    try {
      ObjectNode meta = JSON.createObjectNode();
      meta.put("class", owner.getClass().getName());
      meta.put("timestamp", System.currentTimeMillis());
      meta.put("sparkVersion", org.apache.spark.package$.MODULE$.SPARK_VERSION());
      meta.put("uid", owner.uid());
      ObjectNode set = meta.putObject("paramMap");
      ObjectNode defaults = meta.putObject("defaultParamMap");
      for (scala.collection.Iterator<ParamPair<?>> it = owner.extractParamMap().toSeq().iterator(); it.hasNext();) {
        ParamPair<?> pp = it.next();
        @SuppressWarnings("unchecked")
        Param<Object> p = (Param<Object>) pp.param();
        ObjectNode target = owner.isSet(p) ? set : defaults;
        target.set(p.name(), JSON.readTree(p.jsonEncode(pp.value())));
      }
      Path base = new Path(path);
      FileSystem fs = base.getFileSystem(conf);
      fs.setWriteChecksum(false);
      fs.mkdirs(new Path(base, "metadata"));
      try (OutputStream o = fs.create(new Path(base, "metadata/part-00000"), false)) {
        o.write(JSON.writeValueAsBytes(meta));
        o.write('\n');
      }
      Map<String, String> provenance = new java.util.LinkedHashMap<>(model.provenance());
      provenance.putIfAbsent("run", owner.uid());
      provenance.put("sparkMlClass", owner.getClass().getName());
      ModelFiles.save(new Model(model.spec(), model.params(), model.scaling(), null, provenance, Map.of()), path + "/model", conf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save " + owner.uid() + " to " + path + ": " + e.getMessage(), e);
    }
  }

  /** The stored metadata, after checking it names the expected class. */
  static JsonNode metadata(String path, Configuration conf, Class<?> expected) {
    Path p = new Path(path, "metadata/part-00000");
    try (InputStream in = p.getFileSystem(conf).open(p)) {
      JsonNode meta = JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      if (!expected.getName().equals(meta.path("class").asText())) {
        throw new IllegalArgumentException(path + " holds a " + meta.path("class").asText() + ", not a " + expected.getName());
      }
      return meta;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + p + ": " + e.getMessage(), e);
    }
  }

  static Model weights(String path, Configuration conf) {
    return ModelFiles.load(path + "/model", conf);
  }

  /** The explicitly set params of the metadata, for {@code target} (defaults stay the class's). */
  static ParamMap storedParams(Params target, JsonNode meta) {
    ParamMap m = new ParamMap();
    for (Iterator<Map.Entry<String, JsonNode>> it = meta.path("paramMap").fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!target.hasParam(e.getKey())) continue; // a param of another Spark version
      @SuppressWarnings("unchecked")
      Param<Object> p = (Param<Object>) target.getParam(e.getKey());
      m.put(p, p.jsonDecode(e.getValue().toString()));
    }
    return m;
  }

  /** Makes a fitted model from its uid and stored weights. */
  interface Factory<M> {
    M make(String uid, Model weights);
  }

  /** The writer of a fitted model: metadata plus weights. */
  static MLWriter writer(Params owner, Model model) {
    return new MLWriter() {
      @Override
      public void saveImpl(String path) {
        ModelIo.save(owner, model, qualified(path), sc().hadoopConfiguration());
      }
    };
  }

  /**
   * {@code path} itself, or as a {@code file:} URI while Spark saves or loads on the local disk
   * ({@code MLWriter.saveToLocal}, {@code MLReader.loadFromLocal}: the Spark Connect server moving
   * a cached model to its own disk, which must not land on a cluster's default file system).
   */
  static String qualified(String path) {
    boolean local = Boolean.TRUE.equals(org.apache.spark.ml.util.ReadWriteUtils$.MODULE$.localSavingModeState().get());
    return local ? new java.io.File(path).getAbsoluteFile().toURI().toString() : path;
  }

  /** The reader of a fitted model of class {@code cls}: uid, weights, then the stored params. */
  static <M extends Params> MLReader<M> reader(Class<M> cls, Factory<M> factory) {
    return new MLReader<>() {
      @Override
      public M load(String given) {
        String path = qualified(given);
        JsonNode meta = metadata(path, sc().hadoopConfiguration(), cls);
        M model = factory.make(meta.path("uid").asText(), weights(path, sc().hadoopConfiguration()));
        return cls.cast(model.copy(storedParams(model, meta)));
      }
    };
  }

  static FeatureScaling identity(int d) {
    float[] one = new float[d];
    java.util.Arrays.fill(one, 1f);
    return new FeatureScaling(FeatureScaling.Kind.NONE, new float[d], one);
  }
}
