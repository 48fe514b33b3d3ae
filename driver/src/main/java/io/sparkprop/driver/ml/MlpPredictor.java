package io.sparkprop.driver.ml;

import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.nn.Workspace;
import java.io.Serializable;
import org.apache.spark.ml.linalg.Vector;

/**
 * A fitted network's per-row evaluation inside Spark ML's UDFs: logits of one feature vector,
 * with a workspace per task thread (transient: rebuilt after the model is shipped to executors).
 */
final class MlpPredictor implements Serializable {
  private static final long serialVersionUID = 1L;
  final NetworkSpec spec;
  private final float[] params;
  private transient ThreadLocal<Object[]> buffers;

  MlpPredictor(NetworkSpec spec, float[] params) {
    spec.checkParams(params, "model parameters");
    this.spec = spec;
    this.params = params.clone();
  }

  float[] params() {
    return params.clone();
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
    ((Network) b[0]).logits(params, x, 0, 1, (Workspace) b[1], z, 0);
    double[] out = new double[z.length];
    for (int j = 0; j < z.length; j++) out[j] = z[j];
    return out;
  }
}
