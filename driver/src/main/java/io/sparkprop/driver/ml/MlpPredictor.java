package io.sparkprop.driver.ml;

import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.driver.model.Model;
import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.nn.Workspace;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;

/**
 * A fitted network's per-row evaluation inside Spark ML's UDFs: logits of one feature vector,
 * with a workspace per task thread (transient: rebuilt after the model is shipped to executors).
 */
final class MlpPredictor implements Serializable {
  private static final long serialVersionUID = 1L;
  final NetworkSpec spec;
  private final float[] params;
  final FeatureScaling scaling;
  private final LinkedHashMap<String, String> provenance;
  private transient ThreadLocal<Object[]> buffers;

  /** The network of {@code model}, with its feature scaling and provenance. */
  MlpPredictor(Model model) {
    this.spec = model.spec();
    this.params = model.params();
    this.scaling = model.scaling();
    this.provenance = new LinkedHashMap<>(model.provenance());
  }

  float[] params() {
    return params.clone();
  }

  /** The Sparkprop model this predicts with (labels and metrics are not kept by Spark ML models). */
  Model model() {
    return new Model(spec, params, scaling, null, provenance, Map.of());
  }

  /** Where the model came from (read only). */
  Map<String, String> provenance() {
    return java.util.Collections.unmodifiableMap(provenance);
  }

  /** A model of {@code spec} and {@code params} without feature scaling or provenance. */
  static Model unscaled(NetworkSpec spec, float[] params) {
    return new Model(spec, params, ModelIo.identity(spec.inputSize()), null, Map.of(), Map.of());
  }

  /** The bytes this network holds: weights, the feature scaling's two vectors, provenance. */
  long estimatedBytes() {
    return bytes(params.length, spec.inputSize()) + provenance.toString().length() * 2L;
  }

  /** Weights of {@code paramCount} floats and a scaling of {@code inputs} features, with object overheads. */
  static long bytes(long paramCount, int inputs) {
    return 4 * paramCount + 8L * inputs + 1024;
  }

  /** One line naming the model and its network. */
  String describe(String cls, String uid) {
    return cls + ": uid=" + uid + ", layers=" + java.util.Arrays.toString(spec.sizes()) + ", network=" + spec
        + ", parameters=" + params.length + ", featureScaling=" + scaling.kind().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** z of the output layer for one row. */
  double[] logits(Vector features) {
    int d = spec.inputSize();
    if (features.size() != d) {
      throw new IllegalArgumentException("a features vector has " + features.size() + " values; the model takes " + d);
    }
    if (buffers == null) buffers = ThreadLocal.withInitial(() -> new Object[] {new Network(spec), new Workspace(spec, 1), new float[d],
        new float[spec.outputSize()]});
    Object[] b = buffers.get();
    float[] x = (float[]) b[2];
    float[] z = (float[]) b[3];
    for (int i = 0; i < d; i++) x[i] = (float) features.apply(i);
    if (scaling.kind() != FeatureScaling.Kind.NONE) scaling.applyInPlace(x, 1); // as the training rows were
    ((Network) b[0]).logits(params, x, 0, 1, (Workspace) b[1], z, 0);
    double[] out = new double[z.length];
    for (int j = 0; j < z.length; j++) out[j] = z[j];
    return out;
  }
}
