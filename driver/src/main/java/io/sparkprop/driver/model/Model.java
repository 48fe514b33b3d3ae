package io.sparkprop.driver.model;

import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.nn.Workspace;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A trained model: the network, its flat parameters, the feature scaling to apply before it, the
 * class names (or null), and its provenance. Immutable (arrays are copied in and out).
 *
 * @param spec the architecture
 * @param params the flat float32 parameters in the engine's layout
 * @param scaling the feature transform fitted on the training data (NONE when unscaled)
 * @param labels class names for class indices 0..k-1, or null
 * @param provenance run name, seed, data description and rows, the effective config (JSON)
 * @param metrics final metrics by name
 */
public record Model(NetworkSpec spec, float[] params, FeatureScaling scaling, List<String> labels,
    Map<String, String> provenance, Map<String, Double> metrics) {

  public Model {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(scaling, "scaling");
    spec.checkParams(params, "model parameters");
    params = params.clone();
    labels = labels == null ? null : List.copyOf(labels);
    provenance = Map.copyOf(provenance);
    metrics = Map.copyOf(metrics);
    if (scaling.offset().length != spec.inputSize()) {
      throw new IllegalArgumentException("feature scaling has " + scaling.offset().length + " features, the network "
          + spec.inputSize());
    }
    if (labels != null && labels.size() != spec.outputSize()) {
      throw new IllegalArgumentException(labels.size() + " class labels for " + spec.outputSize() + " outputs");
    }
  }

  @Override
  public float[] params() {
    return params.clone();
  }

  /**
   * Predictions for {@code rows} raw (unscaled) feature rows: probabilities (softmax, sigmoid) or
   * regression outputs, rows x k row-major.
   */
  public float[] predict(float[] x, int rows) {
    int d = spec.inputSize();
    if (x.length != (long) rows * d) {
      throw new IllegalArgumentException(x.length + " feature values for " + rows + " rows of " + d + " features");
    }
    float[] scaled = x.clone();
    scaling.applyInPlace(scaled, rows);
    float[] out = new float[rows * spec.outputSize()];
    new Network(spec).predict(params, scaled, 0, rows, new Workspace(spec, 256), out, 0);
    return out;
  }
}
