package io.sparkprop.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.data.Examples;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole network's float32 BLAS backward pass against an independent float64 per-example
 * implementation ({@link ReferenceMlp}), which is itself checked against central finite
 * differences: every activation x every head (softmax with class indices and with distributions),
 * 0 to 3 hidden layers, random shapes, batches, example weights and block sizes.
 */
class NetworkGradientCheckTest {

  static final String[] ACTS = {"sigmoid", "tanh", "relu", "leaky", "identity", "softplus", "gelu"};
  static final String[] HEADS = {"softmax-index", "softmax-dist", "sigmoid", "linear"};

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    long seed = 1;
    for (String head : HEADS) {
      for (int hidden = 0; hidden <= 3; hidden++) {
        for (String act : ACTS) {
          if (hidden == 0 && !act.equals("sigmoid")) continue; // no hidden activation to vary
          out.add(Arguments.of(act, head, hidden, seed++));
        }
      }
    }
    return out.stream();
  }

  static Activation engineActivation(String name) {
    return name.equals("leaky") ? Activation.leakyRelu(0.1) : Activation.parse(name);
  }

  @ParameterizedTest(name = "{0} hidden x{2}, {1} head, seed {3}")
  @MethodSource("cases")
  void backward_matchesFloat64ReferenceAndFiniteDifferences(String act, String headName, int hidden, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] sizes = new int[hidden + 2];
    sizes[0] = 1 + rnd.nextInt(6);
    for (int l = 1; l <= hidden; l++) sizes[l] = 1 + rnd.nextInt(7);
    boolean softmax = headName.startsWith("softmax");
    sizes[hidden + 1] = softmax ? 2 + rnd.nextInt(3) : 1 + rnd.nextInt(3);
    int k = sizes[hidden + 1];
    Head head = softmax ? Head.SOFTMAX_CROSS_ENTROPY
        : headName.equals("sigmoid") ? Head.SIGMOID_BINARY_CROSS_ENTROPY : Head.LINEAR_SQUARED_ERROR;
    NetworkSpec spec = NetworkSpec.of(sizes, engineActivation(act), head);
    int rows = 1 + rnd.nextInt(20);
    int tw = headName.equals("softmax-index") ? 1 : k;
    boolean weighted = rnd.nextBoolean();

    float[] x = new float[rows * sizes[0]];
    for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 4 - 2);
    float[] y = new float[rows * tw];
    for (int r = 0; r < rows; r++) {
      if (tw == 1 && softmax) {
        y[r] = rnd.nextInt(k);
      } else if (softmax) {
        double sum = 0;
        double[] e = new double[k];
        for (int j = 0; j < k; j++) sum += e[j] = rnd.nextDouble();
        for (int j = 0; j < k; j++) y[r * k + j] = (float) (e[j] / sum);
      } else if (head == Head.SIGMOID_BINARY_CROSS_ENTROPY) {
        for (int j = 0; j < k; j++) y[r * k + j] = rnd.nextBoolean() ? 1f : (float) rnd.nextDouble();
      } else {
        for (int j = 0; j < k; j++) y[r * k + j] = (float) (rnd.nextDouble() * 6 - 3);
      }
    }
    float[] w = null;
    if (weighted) {
      w = new float[rows];
      for (int r = 0; r < rows; r++) w[r] = (float) (rnd.nextDouble() * 2);
    }
    float[] params = Init.normalFanIn(1.0).initialise(spec, seed);
    for (int l = 0; l < spec.layers(); l++) {
      for (int j = 0; j < spec.size(l + 1); j++) params[spec.biasOffset(l) + j] = (float) (rnd.nextDouble() - 0.5);
    }

    // engine, with a block size that forces several blocks
    Examples data = new Examples(0, rows, sizes[0], tw, x, y, w);
    Network net = new Network(spec);
    float[] grad = new float[spec.paramCount()];
    int block = 1 + rnd.nextInt(8);
    LossSum sums = net.accumulateGradient(params, data, new Workspace(spec, block), grad);

    // reference
    String[] acts = new String[hidden];
    java.util.Arrays.fill(acts, act);
    ReferenceMlp ref = new ReferenceMlp(sizes, acts, softmax ? "softmax" : headName, 0.1);
    double[] p = new double[params.length];
    for (int i = 0; i < p.length; i++) p[i] = params[i];
    double[][] xs = new double[rows][sizes[0]];
    double[][] ts = new double[rows][tw];
    double[] ws = w == null ? null : new double[rows];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < sizes[0]; i++) xs[r][i] = x[r * sizes[0] + i];
      for (int j = 0; j < tw; j++) ts[r][j] = y[r * tw + j];
      if (ws != null) ws[r] = w[r];
    }
    double[] refGrad = ref.gradient(p, xs, ts, ws);
    double[] numGrad = ref.numericGradient(p, xs, ts, ws, 1e-5);
    double refLoss = ref.totalLoss(p, xs, ts, ws);

    double refVsNum = maxRelDiff(refGrad, numGrad);
    assertTrue(refVsNum < 1e-5, "reference backprop disagrees with finite differences: " + refVsNum);
    double[] g = new double[grad.length];
    for (int i = 0; i < g.length; i++) g[i] = grad[i];
    double engineVsRef = maxRelDiff(g, refGrad);
    assertTrue(engineVsRef <= 1e-3, spec + " rows " + rows + " block " + block
        + ": engine gradient differs from reference by " + engineVsRef);
    assertEquals(refLoss, sums.loss(), 1e-4 * Math.max(1, Math.abs(refLoss)), "summed loss");
    assertEquals(rows, sums.count());
    double wsum = 0;
    for (int r = 0; r < rows; r++) wsum += ws == null ? 1 : ws[r];
    assertEquals(wsum, sums.weight(), 1e-5);
  }

  /** max |a - b| / max(max |b|, 1e-6): the largest difference relative to the gradient's scale. */
  static double maxRelDiff(double[] a, double[] b) {
    double diff = 0;
    double scale = 1e-6;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return diff / scale;
  }
}
