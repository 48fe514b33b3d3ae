package io.sparkprop.trainer.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Every optimizer against values computed by hand (worked in the comments). */
class OptimizerTest {

  /** Runs the optimizer on one parameter starting at w0 with the given gradients. */
  static float[] trajectory(Optimizer o, float w0, float... grads) {
    float[] w = {w0};
    OptimizerState s = o.initialise(1);
    float[] out = new float[grads.length];
    for (int t = 0; t < grads.length; t++) {
      o.step(w, new float[] {grads[t]}, s);
      out[t] = w[0];
    }
    return out;
  }

  @Test
  void sgd_isTheSeedUpdate() {
    // w <- w - 0.1 * 0.5
    assertArrayEquals(new float[] {0.95f, 0.9f, 0.85f}, trajectory(Optimizer.sgd(0.1), 1f, 0.5f, 0.5f, 0.5f), 1e-6f);
    // coupled L2, zero gradient: w <- w - 0.1 * 0.5 w: 0.95, 0.9025
    assertArrayEquals(new float[] {0.95f, 0.9025f},
        trajectory(Optimizer.sgd(0.1).withWeightDecay(0.5), 1f, 0f, 0f), 1e-6f);
  }

  @Test
  void momentum_handComputed() {
    // v = 0.9 v + 1: 1, 1.9, 2.71; w -= 0.1 v: 0.9, 0.71, 0.439
    Optimizer o = Optimizer.of(Optimizer.Kind.MOMENTUM, 0.1);
    assertArrayEquals(new float[] {0.9f, 0.71f, 0.439f}, trajectory(o, 1f, 1f, 1f, 1f), 1e-6f);
  }

  @Test
  void nesterov_handComputed() {
    // v: 1, 1.9, 2.71; w -= 0.1 (1 + 0.9 v): 0.81, 0.539, 0.1951
    Optimizer o = Optimizer.of(Optimizer.Kind.NESTEROV, 0.1);
    assertArrayEquals(new float[] {0.81f, 0.539f, 0.1951f}, trajectory(o, 1f, 1f, 1f, 1f), 1e-6f);
  }

  @Test
  void adam_handComputed() {
    // g = 1 then -2, lr 0.1. t=1: m = 0.1, v = 0.001, m^ = 1, v^ = 1 -> w = 0.9.
    // t=2: m = 0.09 - 0.2 = -0.11, m^ = -0.11/0.19 = -0.5789474; v = 0.000999 + 0.004 = 0.004999,
    //      v^ = 0.004999/0.001999 = 2.5007504, sqrt = 1.5813761 -> w = 0.9 + 0.1 * 0.3661014 = 0.9366101
    assertArrayEquals(new float[] {0.9f, 0.9366101f}, trajectory(Optimizer.adam(0.1), 1f, 1f, -2f), 2e-6f);
    // coupled L2 (Adam's weight_decay), zero gradient: g' = 0.1 w = 0.1, m^ = 0.1, v^ = 0.01 -> step 0.1
    assertArrayEquals(new float[] {0.9f}, trajectory(Optimizer.adam(0.1).withWeightDecay(0.1), 1f, 0f), 1e-6f);
  }

  @Test
  void adamW_decaysDecoupled() {
    // w = w (1 - 0.1 * 0.1) - 0.1 * 1: 0.89, then 0.89 * 0.99 - 0.1 = 0.7811
    Optimizer o = Optimizer.of(Optimizer.Kind.ADAMW, 0.1).withWeightDecay(0.1);
    assertArrayEquals(new float[] {0.89f, 0.7811f}, trajectory(o, 1f, 1f, 1f), 2e-6f);
  }

  /** LAMB written out in double precision from the paper's algorithm: the independent reference. */
  static double[] lambReference(double[] w0, double[][] grads, int[] bounds, double lr, double wd) {
    double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double[] w = w0.clone();
    double[] m = new double[w.length];
    double[] v = new double[w.length];
    for (int t = 0; t < grads.length; t++) {
      double[] r = new double[w.length];
      for (int i = 0; i < w.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * grads[t][i];
        v[i] = b2 * v[i] + (1 - b2) * grads[t][i] * grads[t][i];
        double mh = m[i] / (1 - Math.pow(b1, t + 1));
        double vh = v[i] / (1 - Math.pow(b2, t + 1));
        r[i] = mh / (Math.sqrt(vh) + eps) + wd * w[i];
      }
      for (int k = 0; k + 1 < bounds.length; k++) {
        double ww = 0, rr = 0;
        for (int i = bounds[k]; i < bounds[k + 1]; i++) {
          ww += w[i] * w[i];
          rr += r[i] * r[i];
        }
        double trust = ww > 0 && rr > 0 ? Math.sqrt(ww / rr) : 1;
        for (int i = bounds[k]; i < bounds[k + 1]; i++) w[i] -= lr * trust * r[i];
      }
    }
    return w;
  }

  @Test
  void lamb_isTheDoublePrecisionReference_perTensor() {
    int[] bounds = {0, 40, 45, 90, 93};
    SplittableRandom rnd = new SplittableRandom(11);
    double[] w0 = new double[93];
    for (int i = 0; i < w0.length; i++) w0[i] = i >= 40 && i < 45 ? 0 : rnd.nextGaussian() * (i < 40 ? 0.3 : 2); // a zero tensor: ratio 1
    double[][] grads = new double[6][93];
    for (double[] g : grads) for (int i = 0; i < g.length; i++) g[i] = rnd.nextGaussian() * (i < 45 ? 1 : 0.01);
    double[] want = lambReference(w0, grads, bounds, 0.05, 0.01);
    Optimizer o = Optimizer.of(Optimizer.Kind.LAMB, 0.05).withWeightDecay(0.01).withSegments(bounds);
    float[] w = new float[93];
    for (int i = 0; i < w.length; i++) w[i] = (float) w0[i];
    OptimizerState s = o.initialise(93);
    for (double[] g : grads) {
      float[] gf = new float[93];
      for (int i = 0; i < gf.length; i++) gf[i] = (float) g[i];
      o.step(w, gf, s);
    }
    for (int i = 0; i < w.length; i++) assertEquals(want[i], w[i], 1e-5 * Math.max(1, Math.abs(want[i])), "parameter " + i);
    // the same gradients as one tensor give other trust ratios: the tensors matter
    double[] whole = lambReference(w0, grads, new int[] {0, 93}, 0.05, 0.01);
    assertTrue(Math.abs(whole[0] - want[0]) > 1e-4, whole[0] + " vs " + want[0]);
  }

  @Test
  void lamb_tensorsOfTheNetwork_areEachLayersWeightsAndBiases() {
    io.sparkprop.trainer.nn.NetworkSpec net = io.sparkprop.trainer.nn.NetworkSpec.of(new int[] {3, 4, 2},
        io.sparkprop.trainer.nn.Activation.parse("relu"), io.sparkprop.trainer.nn.Head.SOFTMAX_CROSS_ENTROPY);
    assertArrayEquals(new int[] {0, 12, 16, 24, 26}, io.sparkprop.trainer.TrainingSpec.tensorBounds(net));
    io.sparkprop.trainer.TrainingSpec spec = io.sparkprop.trainer.TrainingSpec.of(net,
        io.sparkprop.trainer.nn.Init.parse("he-normal"), Optimizer.of(Optimizer.Kind.LAMB, 0.01), 8, 1);
    assertArrayEquals(new int[] {0, 12, 16, 24, 26}, spec.optimizer().segments());
    assertEquals(Optimizer.Kind.LAMB, Optimizer.parseKind("lamb"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Optimizer.of(Optimizer.Kind.LAMB, 0.01).withSegments(new int[] {0, 5, 5}));
    assertTrue(e.getMessage().contains("increase"), e.getMessage());
  }

  @Test
  void lamb_inRanges_isBitwiseTheSerialStep_acrossTensorBounds() {
    Optimizer o = Optimizer.of(Optimizer.Kind.LAMB, 0.02).withWeightDecay(0.01).withSegments(new int[] {0, 300, 310, 777, 1001});
    SplittableRandom r = new SplittableRandom(3);
    float[] a = new float[1001];
    for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
    float[] b = a.clone();
    OptimizerState sa = o.initialise(1001);
    OptimizerState sb = o.initialise(1001);
    for (int t = 0; t < 5; t++) {
      float[] g = new float[1001];
      for (int i = 0; i < g.length; i++) g[i] = (float) (r.nextGaussian() * 40);
      o.stepFromSum(a, g.clone(), 37, sa);
      o.stepFromSum(b, g.clone(), 37, sb, SCRAMBLED);
      assertArrayEquals(a, b, "step " + t);
      assertTrue(sa.sameAs(sb), "step " + t);
    }
  }

  @Test
  void clipping_scalesByGlobalNorm() {
    float[] w = {0f, 0f};
    Optimizer o = Optimizer.sgd(1).withClipNorm(1);
    o.step(w, new float[] {3f, 4f}, o.initialise(2)); // norm 5 -> [0.6, 0.8]
    assertArrayEquals(new float[] {-0.6f, -0.8f}, w, 1e-7f);
    float[] w2 = {0f, 0f};
    o.step(w2, new float[] {0.3f, 0.4f}, o.initialise(2)); // under the limit: unchanged
    assertArrayEquals(new float[] {-0.3f, -0.4f}, w2, 1e-7f);
  }

  @Test
  void stepFromSum_dividesByWeightAndSkipsEmptyBatch() {
    float[] w = {1f};
    OptimizerState s = Optimizer.sgd(0.1).initialise(1);
    Optimizer.sgd(0.1).stepFromSum(w, new float[] {4f}, 4.0, s); // mean gradient 1
    assertEquals(0.9f, w[0], 1e-7f);
    Optimizer.sgd(0.1).stepFromSum(w, new float[] {0f}, 0.0, s);
    assertEquals(0.9f, w[0], 0f);
    assertEquals(2, s.step());
  }

  @Test
  void schedules_handComputed() {
    LrSchedule step = LrSchedule.step(2, 0.5);
    assertArrayEquals(new double[] {1, 1, 0.5, 0.5, 0.25}, factors(step, 5), 1e-12);
    assertEquals(0.5, LrSchedule.exponential(2, 0.25).factor(1), 1e-12); // 0.25^(1/2)
    LrSchedule cos = LrSchedule.cosine(4, 0);
    assertArrayEquals(new double[] {1, 0.8535533905932737, 0.5, 0.14644660940672627, 0, 0}, factors(cos, 6), 1e-12);
    assertEquals(0.1 + 0.9 * 0.5, LrSchedule.cosine(4, 0.1).factor(2), 1e-12);
    assertArrayEquals(new double[] {0.25, 0.5, 0.75, 1, 1}, factors(LrSchedule.constant().withWarmup(4), 5), 1e-12);
    // warmup 2 then cosine over 4: 0.5, 1, then cos from s = 0
    assertArrayEquals(new double[] {0.5, 1, 1, 0.8535533905932737, 0.5}, factors(cos.withWarmup(2), 5), 1e-12);
    Optimizer o = Optimizer.sgd(0.2).withSchedule(step);
    assertEquals(0.1, o.learningRateAt(2), 1e-12);
    // the schedule reaches the update: two steps at lr 0.2, then lr 0.1, gradient 1
    assertArrayEquals(new float[] {0.8f, 0.6f, 0.5f}, trajectory(o, 1f, 1f, 1f, 1f), 1e-6f);
  }

  static double[] factors(LrSchedule s, int n) {
    double[] f = new double[n];
    for (int t = 0; t < n; t++) f[t] = s.factor(t);
    return f;
  }

  @ParameterizedTest
  @EnumSource(Optimizer.Kind.class)
  void snapshotAndRestore_continueBitForBit(Optimizer.Kind kind) {
    Optimizer o = Optimizer.of(kind, 0.01).withWeightDecay(0.01).withSchedule(LrSchedule.cosine(20, 0.1).withWarmup(3));
    SplittableRandom rnd = new SplittableRandom(7);
    float[][] grads = new float[10][50];
    for (float[] g : grads) for (int i = 0; i < g.length; i++) g[i] = (float) rnd.nextGaussian();
    float[] w = new float[50];
    for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
    OptimizerState s = o.initialise(50);
    for (int t = 0; t < 5; t++) o.step(w, grads[t].clone(), s);
    float[] wMid = w.clone();
    OptimizerState snap = OptimizerState.restore(s.step(), s.snapshot());
    for (int t = 5; t < 10; t++) o.step(w, grads[t].clone(), s);
    for (int t = 5; t < 10; t++) o.step(wMid, grads[t].clone(), snap);
    assertArrayEquals(w, wMid, 0f);
    assertTrue(s.sameAs(snap));
    assertEquals(10, snap.step());
  }

  @Test
  void badSettings_nameTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(Double.NaN));
    assertTrue(e.getMessage().contains("learning rate") && e.getMessage().contains("NaN"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(Double.POSITIVE_INFINITY));
    assertTrue(e.getMessage().contains("Infinity"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(0.1).withMomentum(1.0));
    assertTrue(e.getMessage().contains("momentum") && e.getMessage().contains("1.0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(0.1).withWeightDecay(-1));
    assertTrue(e.getMessage().contains("-1.0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.step(0, 0.5));
    assertTrue(e.getMessage().contains("0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Optimizer.parseKind("adagrad"));
    assertTrue(e.getMessage().contains("'adagrad'"), e.getMessage());
    Optimizer clip = Optimizer.sgd(0.1).withClipNorm(1);
    e = assertThrows(IllegalArgumentException.class,
        () -> clip.step(new float[1], new float[] {Float.NaN}, clip.initialise(1)));
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
  }

  /**
   * A warm-started state (step 0, prior steps N) continues Adam's bias correction: N steps, then
   * warm, then N more equals 2N steps in one run (constant rate, so only the correction counts).
   * A cold restart of the same slots (prior steps 0) would not.
   */
  @ParameterizedTest
  @EnumSource(value = Optimizer.Kind.class, names = {"ADAM", "ADAMW", "MOMENTUM"})
  void warmState_continuesTheBiasCorrection(Optimizer.Kind kind) {
    Optimizer opt = Optimizer.of(kind, 0.01).withWeightDecay(0.01);
    int n = 7;
    SplittableRandom r = new SplittableRandom(3);
    float[][] grads = new float[2 * n][5];
    for (float[] g : grads) for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
    float[] whole = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f};
    float[] split = whole.clone();
    OptimizerState a = opt.initialise(5);
    for (float[] g : grads) opt.step(whole, g.clone(), a);
    OptimizerState b = opt.initialise(5);
    for (int s = 0; s < n; s++) opt.step(split, grads[s].clone(), b);
    OptimizerState warm = OptimizerState.warm(b);
    assertEquals(0, warm.step());
    assertEquals(n, warm.priorSteps());
    float[] cold = split.clone();
    OptimizerState coldState = OptimizerState.restore(0, b.snapshot());
    for (int s = n; s < 2 * n; s++) {
      opt.step(split, grads[s].clone(), warm);
      opt.step(cold, grads[s].clone(), coldState);
    }
    assertArrayEquals(whole, split, 0f);
    if (kind != Optimizer.Kind.MOMENTUM) assertTrue(!java.util.Arrays.equals(whole, cold), "a cold restart differs");
    assertTrue(OptimizerState.restore(warm.step(), warm.snapshot(), warm.priorSteps()).sameAs(warm));
  }

  /** Ranges of uneven lengths, run last first: what a split over threads may do in any order. */
  static final Ranges SCRAMBLED = (n, task) -> {
    int[] cuts = {0, Math.min(n, 1), Math.min(n, 13), Math.min(n, n / 3), Math.min(n, n / 2 + 5), n};
    for (int j = cuts.length - 2; j >= 0; j--) {
      if (cuts[j] < cuts[j + 1]) task.run(cuts[j], cuts[j + 1]);
    }
  };

  @ParameterizedTest
  @EnumSource(Optimizer.Kind.class)
  void stepFromSum_inRanges_isBitwiseTheSerialStep(Optimizer.Kind kind) {
    for (double clip : new double[] {0, 0.5}) {
      Optimizer o = Optimizer.of(kind, 0.01).withWeightDecay(0.01).withClipNorm(clip);
      SplittableRandom r = new SplittableRandom(7);
      int n = 1001;
      float[] a = new float[n];
      for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
      float[] b = a.clone();
      OptimizerState sa = o.initialise(n);
      OptimizerState sb = o.initialise(n);
      for (int t = 0; t < 5; t++) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float) (r.nextGaussian() * 40);
        float[] ga = g.clone();
        float[] gb = g.clone();
        o.stepFromSum(a, ga, 37, sa);
        o.stepFromSum(b, gb, 37, sb, SCRAMBLED);
        assertArrayEquals(a, b, kind + " clip " + clip + " step " + t + ": parameters");
        assertArrayEquals(ga, gb, kind + " clip " + clip + " step " + t + ": what is left in the gradient buffer");
        if (clip == 0) assertArrayEquals(g, ga, kind + " step " + t + ": without clipping the sum is only read");
        assertTrue(sa.sameAs(sb), kind + " clip " + clip + " step " + t + ": optimizer state");
      }
      assertEquals(5, sb.step());
    }
  }

  @Test
  void adamSnapshot_interleavesTheMomentsPerParameter_afterTheUpdateSplitThem() {
    Optimizer o = Optimizer.adam(0.1);
    OptimizerState s = o.initialise(2);
    o.step(new float[] {1f, 2f}, new float[] {0.5f, -2f}, s);
    // one step from zero: m = (1 - 0.9) g, v = (1 - 0.999) g^2, stored as m0 v0 m1 v1
    float[] snap = s.snapshot();
    assertArrayEquals(new float[] {0.1f * 0.5f, 0.001f * 0.25f, 0.1f * -2f, 0.001f * 4f}, snap, 1e-6f);
    snap[0] = 99f; // a copy
    assertEquals(0.05f, s.snapshot()[0], 1e-6f);
    OptimizerState back = OptimizerState.restore(s.step(), s.snapshot());
    assertTrue(back.sameAs(s) && s.sameAs(back), "restored from the snapshot: the same state, split or not");
    float[] p1 = {1f, 2f};
    float[] p2 = {1f, 2f};
    o.step(p1, new float[] {0.25f, 1f}, s);
    o.step(p2, new float[] {0.25f, 1f}, back);
    assertArrayEquals(p1, p2);
    assertTrue(s.sameAs(back));
  }

  @Test
  void copyOfASplitState_isTheSameState_andIndependentOfIt() {
    for (Optimizer.Kind kind : Optimizer.Kind.values()) {
      Optimizer o = Optimizer.of(kind, 0.05).withWeightDecay(0.01);
      OptimizerState s = o.initialise(3);
      float[] p = {1f, -2f, 0.5f};
      o.step(p, new float[] {0.5f, -2f, 1f}, s); // split into planes by the update
      OptimizerState c = s.copy();
      assertTrue(c.sameAs(s) && c.step() == s.step() && c.priorSteps() == s.priorSteps(), kind + ": the copy is the same state");
      float[] pc = p.clone();
      o.step(pc, new float[] {3f, 1f, -1f}, c);
      OptimizerState unsplit = OptimizerState.restore(1, s.snapshot());
      assertTrue(unsplit.sameAs(s), kind + ": stepping the copy left the original as it was");
      o.step(p, new float[] {3f, 1f, -1f}, s);
      assertArrayEquals(p, pc, kind + ": the copy continues bit for bit");
      assertTrue(c.sameAs(s), kind + ": both states after the same step");
    }
  }
}
