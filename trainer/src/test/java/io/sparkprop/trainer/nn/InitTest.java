package io.sparkprop.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each scheme draws with the variance (or range) it promises, seeded, with zero biases. */
class InitTest {

  @ParameterizedTest
  @ValueSource(strings = {"normal(0.5)", "xavier-normal", "he-normal", "xavier-uniform", "he-uniform", "mllib-uniform"})
  void weights_haveTheSchemesVarianceAndBiasesAreZero(String name) {
    Init init = Init.parse(name);
    NetworkSpec spec = NetworkSpec.of(new int[] {400, 300, 10}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    float[] p = init.initialise(spec, 17);
    assertArrayEquals(p, init.initialise(spec, 17), 0f);
    for (int l = 0; l < 2; l++) {
      int in = spec.size(l);
      int out = spec.size(l + 1);
      double expectVar;
      double bound = Double.POSITIVE_INFINITY;
      switch (init.kind()) {
        case NORMAL_FAN_IN: expectVar = 0.25 / in; break;
        case XAVIER_NORMAL: expectVar = 2.0 / (in + out); break;
        case HE_NORMAL: expectVar = 2.0 / in; break;
        case XAVIER_UNIFORM: bound = Math.sqrt(6.0 / (in + out)); expectVar = bound * bound / 3; break;
        case HE_UNIFORM: bound = Math.sqrt(6.0 / in); expectVar = bound * bound / 3; break;
        default: bound = 2.4 / Math.sqrt(in); expectVar = bound * bound / 3;
      }
      int n = in * out;
      double sum = 0;
      double sq = 0;
      for (int i = 0; i < n; i++) {
        float v = p[spec.weightOffset(l) + i];
        assertTrue(Math.abs(v) <= bound, name + " value " + v + " outside +-" + bound);
        sum += v;
        sq += (double) v * v;
      }
      double mean = sum / n;
      double var = sq / n - mean * mean;
      assertEquals(expectVar, var, expectVar * 0.1, name + " layer " + l + " variance");
      assertEquals(0, mean, 4 * Math.sqrt(expectVar / n), name + " layer " + l + " mean");
      for (int j = 0; j < out; j++) assertEquals(0f, p[spec.biasOffset(l) + j], 0f);
    }
  }
}
