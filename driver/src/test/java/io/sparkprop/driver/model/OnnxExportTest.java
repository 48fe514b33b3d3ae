package io.sparkprop.driver.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The exported ONNX model, run by ONNX Runtime, predicts what Sparkprop predicts (within 1e-5). */
class OnnxExportTest {

  @ParameterizedTest(name = "{0} hidden, {1} head, scaling {2}")
  @CsvSource({
      "relu, softmax, standard", "tanh, softmax, none", "sigmoid, sigmoid, min-max", "leaky-relu(0.2), linear, none",
      "identity, linear, standard", "softplus, sigmoid, none", "gelu, softmax, standard"})
  void onnxRuntime_matchesSparkprop(String act, String head, String scaling) throws Exception {
    SplittableRandom r = new SplittableRandom(act.hashCode());
    int d = 6;
    NetworkSpec spec = NetworkSpec.of(new int[] {d, 9, 7, head.equals("sigmoid") ? 2 : 4}, Activation.parse(act), Head.parse(head));
    float[] off = new float[d];
    float[] sc = new float[d];
    for (int i = 0; i < d; i++) {
      off[i] = (float) r.nextGaussian();
      sc[i] = (float) (0.5 + r.nextDouble());
    }
    FeatureScaling.Kind kind = FeatureScaling.parseKind(scaling);
    FeatureScaling fs = kind == FeatureScaling.Kind.NONE ? new FeatureScaling(kind, new float[d], ones(d)) : new FeatureScaling(kind, off, sc);
    float[] params = Init.of(Init.Kind.XAVIER_NORMAL).initialise(spec, 5);
    for (int l = 0; l < spec.layers(); l++) {
      for (int j = 0; j < spec.size(l + 1); j++) params[spec.biasOffset(l) + j] = (float) (0.3 * r.nextGaussian());
    }
    Model m = new Model(spec, params, fs, null, Map.of(), Map.of());
    int n = 50;
    float[][] x = new float[n][d];
    float[] flat = new float[n * d];
    for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) flat[i * d + j] = x[i][j] = (float) (2 * r.nextGaussian());
    float[] expected = m.predict(flat, n);

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(OnnxExport.export(m), new OrtSession.SessionOptions());
        OnnxTensor in = OnnxTensor.createTensor(env, x);
        OrtSession.Result res = s.run(Map.of("features", in))) {
      assertEquals(List.of(head.equals("linear") ? "outputs" : "probabilities"), List.copyOf(s.getOutputNames()));
      float[][] y = (float[][]) res.get(0).getValue();
      int k = spec.outputSize();
      double max = 0;
      for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) max = Math.max(max, Math.abs(y[i][j] - expected[i * k + j]));
      assertTrue(max <= 1e-5, act + "/" + head + ": max |onnx - sparkprop| = " + max);
    }
  }

  static float[] ones(int d) {
    float[] o = new float[d];
    java.util.Arrays.fill(o, 1f);
    return o;
  }
}
