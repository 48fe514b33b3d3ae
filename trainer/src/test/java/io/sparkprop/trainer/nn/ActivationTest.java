package io.sparkprop.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ActivationTest {

  @Test
  void values_atHandChosenPoints_matchHandDerivedValues() {
    assertEquals(0.5f, Activation.SIGMOID.value(0f), 0f);
    assertEquals(0.880797078f, Activation.SIGMOID.value(2f), 1e-7f);
    assertEquals(0.119202922f, Activation.SIGMOID.value(-2f), 1e-7f);
    assertEquals(0f, Activation.TANH.value(0f), 0f);
    assertEquals(0.761594156f, Activation.TANH.value(1f), 1e-7f);
    assertEquals(0f, Activation.RELU.value(-3f), 0f);
    assertEquals(3f, Activation.RELU.value(3f), 0f);
    assertEquals(-0.02f, Activation.LEAKY_RELU.value(-2f), 1e-9f);
    assertEquals(-0.6f, Activation.leakyRelu(0.2).value(-3f), 1e-7f);
    assertEquals(1.5f, Activation.IDENTITY.value(1.5f), 0f);
    assertEquals((float) Math.log(2), Activation.SOFTPLUS.value(0f), 1e-7f);
    assertEquals(1000f, Activation.SOFTPLUS.value(1000f), 0f); // no overflow
    // GELU (tanh form) at 1: 0.5 * (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.8411920
    assertEquals(0.841192f, Activation.GELU.value(1f), 1e-6f);
  }

  @Test
  void derivatives_satisfySeedIdentities() {
    for (float z = -6f; z <= 6f; z += 0.25f) {
      float s = Activation.SIGMOID.value(z);
      assertEquals(s * (1 - s), Activation.SIGMOID.derivative(z, s), 1e-7f, "sigma' = sigma(1 - sigma) at " + z);
      float t = Activation.TANH.value(z);
      assertEquals(1 - t * t, Activation.TANH.derivative(z, t), 1e-7f, "tanh' = 1 - tanh^2 at " + z);
    }
    assertEquals(0.25f, Activation.SIGMOID.derivative(0f, 0.5f), 0f);
    assertEquals(1f, Activation.TANH.derivative(0f, 0f), 0f);
    assertEquals(0.5f, Activation.SOFTPLUS.derivative(0f, Activation.SOFTPLUS.value(0f)), 1e-7f);
    assertEquals(0.5f, Activation.GELU.derivative(0f, 0f), 1e-7f);
  }

  @Test
  void reluDerivative_atExactlyZero_isZeroAndLeakyUsesSlope() {
    assertEquals(0f, Activation.RELU.derivative(0f, 0f), 0f);
    assertEquals(1f, Activation.RELU.derivative(1e-30f, 1e-30f), 0f);
    assertEquals(0.01f, Activation.LEAKY_RELU.derivative(0f, 0f), 0f);
    float[] z = {0f, -1f, 2f};
    float[] d = {5f, 5f, 5f};
    Activation.RELU.backward(z, new float[3], d, 0, 3);
    assertEquals(0f, d[0], 0f);
    assertEquals(0f, d[1], 0f);
    assertEquals(5f, d[2], 0f);
  }

  @Test
  void reluAndLeakyRelu_areBitwiseTheBranchingDefinitions_atEverySpecialValue() {
    float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1f, -1f, Float.MAX_VALUE, -Float.MAX_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000),
        Float.intBitsToFloat(0x7f800001)};
    java.util.Random r = new java.util.Random(3);
    int n = special.length * special.length + 1000;
    float[] z = new float[n];
    float[] d = new float[n];
    for (int i = 0; i < special.length * special.length; i++) { // every pair of special z and incoming d
      z[i] = special[i / special.length];
      d[i] = special[i % special.length];
    }
    for (int i = special.length * special.length; i < n; i++) {
      z[i] = Float.intBitsToFloat(r.nextInt());
      d[i] = (float) r.nextGaussian();
    }
    float[] got = d.clone();
    Activation.RELU.backward(z, new float[n], got, 0, n);
    Activation leaky = Activation.leakyRelu(0.2);
    float[] gotLeaky = d.clone();
    leaky.backward(z, new float[n], gotLeaky, 0, n);
    float[] a = new float[n];
    leaky.forward(z, a, 0, n);
    for (int i = 0; i < n; i++) {
      String at = "z " + z[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(z[i])) + "), d " + d[i];
      assertEquals(Float.floatToRawIntBits(z[i] > 0 ? d[i] : 0f), Float.floatToRawIntBits(got[i]), "relu, " + at);
      assertSameBits(z[i] > 0 ? d[i] : 0.2f * d[i], gotLeaky[i], "leaky backward, " + at);
      assertSameBits(z[i] > 0 ? z[i] : 0.2f * z[i], a[i], "leaky forward, " + at);
    }
  }

  /** Bitwise equal, except that a NaN may come back quieted (leaky ReLU multiplies a kept value by 1). */
  private static void assertSameBits(float want, float got, String what) {
    if (Float.isNaN(want)) assertTrue(Float.isNaN(got), what + ": " + got);
    else assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), what);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sigmoid", "tanh", "relu", "leaky-relu(0.1)", "identity", "softplus", "gelu"})
  void derivative_matchesCentralFiniteDifferenceInFloat64(String name) {
    Activation a = Activation.parse(name);
    ReferenceMlp ref = new ReferenceMlp(new int[] {1, 1}, new String[0], "linear", 0.1);
    String refName = name.startsWith("leaky") ? "leaky" : name;
    for (double z = -4.05; z <= 4; z += 0.3) { // avoids the kink at exactly 0
      double h = 1e-6;
      double fd = (ref.f(refName, z + h) - ref.f(refName, z - h)) / (2 * h);
      float fz = a.value((float) z);
      assertEquals(fd, a.derivative((float) z, fz), 1e-5, name + " at " + z);
      assertEquals(ref.f(refName, z), fz, 1e-6 * Math.max(1, Math.abs(fz)), name + " value at " + z);
    }
  }

  @Test
  void bulkForwardAndBackward_equalScalarForms() {
    for (Activation a : new Activation[] {Activation.SIGMOID, Activation.TANH, Activation.RELU, Activation.LEAKY_RELU,
        Activation.IDENTITY, Activation.SOFTPLUS, Activation.GELU}) {
      float[] z = {-3f, -0.5f, 0f, 0.5f, 3f};
      float[] out = new float[5];
      a.forward(z, out, 0, 5);
      float[] d = {1f, 2f, 3f, 4f, 5f};
      a.backward(z, out, d, 0, 5);
      for (int i = 0; i < 5; i++) {
        assertEquals(a.value(z[i]), out[i], 0f, a + " forward");
        assertEquals((i + 1) * a.derivative(z[i], out[i]), d[i], 1e-6f, a + " backward");
      }
    }
  }

  @Test
  void sigmoid_atExtremeLogits_isFiniteAndSaturated() {
    assertEquals(1f, Activation.SIGMOID.value(1000f), 0f);
    assertEquals(0f, Activation.SIGMOID.value(-1000f), 0f);
  }

  @Test
  void parse_roundTripsAndRejectsUnknownNamesWithTheName() {
    for (String n : new String[] {"sigmoid", "tanh", "relu", "leaky-relu(0.2)", "identity", "softplus", "gelu"}) {
      Activation a = Activation.parse(n);
      assertEquals(a, Activation.parse(a.name()));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Activation.parse("rleu"));
    assertTrue(e.getMessage().contains("'rleu'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Activation.leakyRelu(Double.NaN));
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Activation.leakyRelu(1.5));
  }
}
