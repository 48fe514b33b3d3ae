package io.sparkprop.trainer.nn;

/**
 * An independent float64 MLP written the naive way: one example at a time, explicit loops, the
 * textbook backpropagation equations, and its own activation and loss formulas (not the
 * engine's). Used to check the engine's float32 BLAS implementation.
 */
final class ReferenceMlp {
  final int[] sizes;
  final String[] act; // hidden activations by name
  final String head; // softmax, sigmoid, linear
  final double slope;

  ReferenceMlp(int[] sizes, String[] act, String head, double slope) {
    this.sizes = sizes;
    this.act = act;
    this.head = head;
    this.slope = slope;
  }

  double f(String a, double z) {
    switch (a) {
      case "sigmoid": return 1 / (1 + Math.exp(-z));
      case "tanh": return Math.tanh(z);
      case "relu": return Math.max(0, z);
      case "leaky": return z > 0 ? z : slope * z;
      case "identity": return z;
      case "softplus": return Math.log(1 + Math.exp(z));
      case "gelu": return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
      default: throw new AssertionError(a);
    }
  }

  /** f'(z), derived by hand for each function. */
  double df(String a, double z) {
    switch (a) {
      case "sigmoid": { double s = f(a, z); return s * (1 - s); }
      case "tanh": { double t = Math.tanh(z); return 1 - t * t; }
      case "relu": return z > 0 ? 1 : 0;
      case "leaky": return z > 0 ? 1 : slope;
      case "identity": return 1;
      case "softplus": return 1 / (1 + Math.exp(-z));
      case "gelu": {
        double c = Math.sqrt(2 / Math.PI);
        double u = c * (z + 0.044715 * z * z * z);
        double t = Math.tanh(u);
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z);
      }
      default: throw new AssertionError(a);
    }
  }

  /** W of layer l, j-th output, i-th input, in the engine's documented layout. */
  static int w(int[] sizes, int l, int j, int i) {
    int off = 0;
    for (int q = 0; q < l; q++) off += sizes[q + 1] * sizes[q] + sizes[q + 1];
    return off + j * sizes[l] + i;
  }

  static int b(int[] sizes, int l, int j) {
    return w(sizes, l, 0, 0) + sizes[l + 1] * sizes[l] + j;
  }

  /** Logits of one example. Also fills zs/as if non-null. */
  double[] logits(double[] p, double[] x, double[][] zs, double[][] as) {
    double[] a = x;
    int layers = sizes.length - 1;
    for (int l = 0; l < layers; l++) {
      double[] z = new double[sizes[l + 1]];
      for (int j = 0; j < z.length; j++) {
        double s = p[b(sizes, l, j)];
        for (int i = 0; i < a.length; i++) s += p[w(sizes, l, j, i)] * a[i];
        z[j] = s;
      }
      if (as != null) as[l] = a;
      if (zs != null) zs[l] = z;
      if (l == layers - 1) return z;
      double[] next = new double[z.length];
      for (int j = 0; j < z.length; j++) next[j] = f(act[l], z[j]);
      a = next;
    }
    throw new AssertionError();
  }

  /** Loss of one example; target is a class index (length 1, softmax) or a full row. */
  double loss(double[] z, double[] t) {
    double loss = 0;
    switch (head) {
      case "softmax": {
        double sum = 0;
        for (double v : z) sum += Math.exp(v);
        if (t.length == 1) return -Math.log(Math.exp(z[(int) t[0]]) / sum);
        for (int j = 0; j < z.length; j++) loss -= t[j] * Math.log(Math.exp(z[j]) / sum);
        return loss;
      }
      case "sigmoid":
        for (int j = 0; j < z.length; j++) {
          double yh = 1 / (1 + Math.exp(-z[j]));
          loss -= t[j] * Math.log(yh) + (1 - t[j]) * Math.log(1 - yh);
        }
        return loss;
      default:
        for (int j = 0; j < z.length; j++) loss += 0.5 * (z[j] - t[j]) * (z[j] - t[j]);
        return loss;
    }
  }

  /** dLoss/dz of one example, derived by hand per head. */
  double[] outputDelta(double[] z, double[] t) {
    double[] d = new double[z.length];
    switch (head) {
      case "softmax": {
        double sum = 0;
        for (double v : z) sum += Math.exp(v);
        for (int j = 0; j < z.length; j++) {
          double y = t.length == 1 ? (j == (int) t[0] ? 1 : 0) : t[j];
          d[j] = Math.exp(z[j]) / sum - y;
        }
        return d;
      }
      case "sigmoid":
        for (int j = 0; j < z.length; j++) d[j] = 1 / (1 + Math.exp(-z[j])) - t[j];
        return d;
      default:
        for (int j = 0; j < z.length; j++) d[j] = z[j] - t[j];
        return d;
    }
  }

  /** Summed weighted loss over examples. */
  double totalLoss(double[] p, double[][] xs, double[][] ts, double[] ws) {
    double s = 0;
    for (int r = 0; r < xs.length; r++) s += (ws == null ? 1 : ws[r]) * loss(logits(p, xs[r], null, null), ts[r]);
    return s;
  }

  /** Summed weighted gradient by per-example backpropagation. */
  double[] gradient(double[] p, double[][] xs, double[][] ts, double[] ws) {
    double[] g = new double[p.length];
    int layers = sizes.length - 1;
    for (int r = 0; r < xs.length; r++) {
      double[][] zs = new double[layers][];
      double[][] as = new double[layers][];
      double[] z = logits(p, xs[r], zs, as);
      double[] delta = outputDelta(z, ts[r]);
      double wr = ws == null ? 1 : ws[r];
      for (int l = layers - 1; l >= 0; l--) {
        for (int j = 0; j < sizes[l + 1]; j++) {
          g[b(sizes, l, j)] += wr * delta[j];
          for (int i = 0; i < sizes[l]; i++) g[w(sizes, l, j, i)] += wr * delta[j] * as[l][i];
        }
        if (l > 0) {
          double[] prev = new double[sizes[l]];
          for (int i = 0; i < sizes[l]; i++) {
            double s = 0;
            for (int j = 0; j < sizes[l + 1]; j++) s += p[w(sizes, l, j, i)] * delta[j];
            prev[i] = s * df(act[l - 1], zs[l - 1][i]);
          }
          delta = prev;
        }
      }
    }
    return g;
  }

  /** Central finite differences of totalLoss. */
  double[] numericGradient(double[] p, double[][] xs, double[][] ts, double[] ws, double h) {
    double[] g = new double[p.length];
    for (int q = 0; q < p.length; q++) {
      double keep = p[q];
      p[q] = keep + h;
      double up = totalLoss(p, xs, ts, ws);
      p[q] = keep - h;
      double down = totalLoss(p, xs, ts, ws);
      p[q] = keep;
      g[q] = (up - down) / (2 * h);
    }
    return g;
  }
}
