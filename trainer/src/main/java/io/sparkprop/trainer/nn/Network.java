package io.sparkprop.trainer.nn;

import dev.ludovic.netlib.blas.BLAS;
import io.sparkprop.trainer.data.RowSource;
import java.util.Objects;

/**
 * Batch forward and backward passes of an MLP as BLAS sgemm calls over blocks of rows.
 *
 * <p>Stateless apart from the spec and the BLAS handle; all buffers come from a {@link Workspace}.
 * Activations are row-major {@code rows x width}, which BLAS (column-major) sees as
 * {@code width x rows}; a row-major {@code out x in} W is a column-major {@code in x out} matrix.
 * Hence, for layer l with n_in = {@code in}, n_out = {@code out} and m rows:
 * <pre>
 *   forward:   Z  = A W^T + 1 b^T        sgemm("T","N", out, m, in, 1, W, in, A, in, 1, Z, out), Z preset to b
 *              A' = f(Z)
 *   backward:  dW += D^T A               sgemm("N","T", in, out, m, 1, A, in, D, out, 1, dW, in)
 *              db += D^T 1               sgemv("N", out, m, 1, D, out, ones, 1, 1, db, 1)
 *              D' = (D W) .* f'(Z')      sgemm("N","N", in, m, out, 1, W, in, D, out, 0, D', in), then f'
 * </pre>
 * where D = dL/dZ of the block; at the output D = w .* (prediction - target) from the {@link Head}.
 */
public final class Network {
  private final NetworkSpec spec;
  private final BLAS blas;

  public Network(NetworkSpec spec) {
    this(spec, Blas.get());
  }

  public Network(NetworkSpec spec, BLAS blas) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.blas = Objects.requireNonNull(blas, "blas");
  }

  public NetworkSpec spec() {
    return spec;
  }

  /**
   * Adds the summed gradient of the examples {@code rows[0..count)} (row indices into
   * {@code data}, processed in that order, in blocks of the workspace's capacity) to {@code grad}.
   *
   * @param grad gradient accumulator in the parameter layout; added to, never zeroed here
   * @return summed loss, summed example weight, example count
   */
  public LossSum accumulateGradient(float[] params, RowSource data, int[] rows, int count, Workspace ws, float[] grad) {
    checkWorkspace(ws);
    spec.checkParams(params, "params");
    spec.checkParams(grad, "gradient buffer");
    checkData(data);
    if (count < 0 || count > rows.length) {
      throw new IllegalArgumentException("count " + count + " outside [0, " + rows.length + "]");
    }
    if (count == 0) {
      return LossSum.ZERO;
    }
    double loss = 0;
    double weight = 0;
    boolean weighted = data.weighted();
    for (int start = 0; start < count; start += ws.capacity) {
      int m = Math.min(ws.capacity, count - start);
      data.gather(rows, start, m, ws.act[0], ws.targets, ws.weights);
      forwardBlock(params, ws, m);
      loss += backwardBlock(params, ws, m, data.targetWidth(), weighted, grad);
      if (weighted) {
        for (int r = 0; r < m; r++) weight += ws.weights[r];
      } else {
        weight += m;
      }
    }
    return new LossSum(loss, weight, count);
  }

  /** Adds the summed gradient of every row of {@code data}, in row order. */
  public LossSum accumulateGradient(float[] params, RowSource data, Workspace ws, float[] grad) {
    return accumulateGradient(params, data, identity(data.rows()), data.rows(), ws, grad);
  }

  /**
   * Predictions for {@code n} rows of {@code x} starting at row {@code row0}: class
   * probabilities (softmax), label probabilities (sigmoid) or regression outputs (linear),
   * written row-major into {@code out} starting at {@code outOff}.
   */
  public void predict(float[] params, float[] x, int row0, int n, Workspace ws, float[] out, int outOff) {
    checkWorkspace(ws);
    spec.checkParams(params, "params");
    int d = spec.inputSize();
    int k = spec.outputSize();
    float[] logits = ws.pre[spec.layers() - 1];
    for (int start = 0; start < n; start += ws.capacity) {
      int m = Math.min(ws.capacity, n - start);
      System.arraycopy(x, (row0 + start) * d, ws.act[0], 0, m * d);
      forwardBlock(params, ws, m);
      spec.head().predictInPlace(logits, m, k);
      System.arraycopy(logits, 0, out, outOff + start * k, m * k);
    }
  }

  /** The output layer's pre-activations z (before the head) for {@code n} rows, row-major into {@code out}. */
  public void logits(float[] params, float[] x, int row0, int n, Workspace ws, float[] out, int outOff) {
    checkWorkspace(ws);
    spec.checkParams(params, "params");
    int d = spec.inputSize();
    int k = spec.outputSize();
    float[] z = ws.pre[spec.layers() - 1];
    for (int start = 0; start < n; start += ws.capacity) {
      int m = Math.min(ws.capacity, n - start);
      System.arraycopy(x, (row0 + start) * d, ws.act[0], 0, m * d);
      forwardBlock(params, ws, m);
      System.arraycopy(z, 0, out, outOff + start * k, m * k);
    }
  }

  /** Evaluation sums over every row of {@code data} (unweighted). */
  public EvalSums evaluate(float[] params, RowSource data, Workspace ws) {
    return evaluate(params, data, ws, null);
  }

  /**
   * As {@link #evaluate(float[], RowSource, Workspace)}, also counting every example of a softmax
   * head in {@code confusion[label * k + predicted]} (k outputs; added to, never zeroed) when
   * {@code confusion} is not null: the report's confusion matrix from the same pass.
   */
  public EvalSums evaluate(float[] params, RowSource data, Workspace ws, long[] confusion) {
    if (confusion != null && (spec.head() != Head.SOFTMAX_CROSS_ENTROPY || confusion.length != spec.outputSize() * spec.outputSize())) {
      throw new IllegalArgumentException("a confusion matrix needs a softmax head and k x k = "
          + spec.outputSize() * spec.outputSize() + " counts, got the " + spec.head().configName() + " head and "
          + confusion.length);
    }
    checkWorkspace(ws);
    spec.checkParams(params, "params");
    checkData(data);
    int k = spec.outputSize();
    int tw = data.targetWidth();
    Head head = spec.head();
    float[] logits = ws.pre[spec.layers() - 1];
    double loss = 0;
    double correct = 0;
    double se = 0;
    double ae = 0;
    int[] all = identity(data.rows());
    for (int start = 0; start < data.rows(); start += ws.capacity) {
      int m = Math.min(ws.capacity, data.rows() - start);
      data.gather(all, start, m, ws.act[0], ws.targets, ws.weights);
      forwardBlock(params, ws, m);
      loss += head.lossAndDelta(logits, m, k, ws.targets, tw, null, ws.deltaA);
      head.predictInPlace(logits, m, k);
      for (int r = 0; r < m; r++) {
        int o = r * k;
        int t = r * tw;
        switch (head) {
          case SOFTMAX_CROSS_ENTROPY: {
            int label = tw == 1 ? (int) ws.targets[t] : argmax(ws.targets, t, tw);
            int predicted = argmax(logits, o, k);
            if (predicted == label) correct++;
            if (confusion != null) confusion[label * k + predicted]++;
            break;
          }
          case SIGMOID_BINARY_CROSS_ENTROPY:
            for (int j = 0; j < k; j++) if ((logits[o + j] >= 0.5f) == (ws.targets[t + j] >= 0.5f)) correct++;
            break;
          default:
            for (int j = 0; j < k; j++) {
              double e = (double) logits[o + j] - ws.targets[t + j];
              se += e * e;
              ae += Math.abs(e);
            }
        }
      }
    }
    long n = data.rows();
    long units = head == Head.SOFTMAX_CROSS_ENTROPY ? n : n * k;
    return new EvalSums(loss, correct, se, ae, n, units);
  }

  /** Index of the largest of {@code a[off..off+n)}; the first one on ties. */
  public static int argmax(float[] a, int off, int n) {
    int best = 0;
    for (int j = 1; j < n; j++) if (a[off + j] > a[off + best]) best = j;
    return best;
  }

  /** Forward over the m rows in {@code ws.act[0]}: fills pre[l] and act[l+1] for every layer. */
  void forwardBlock(float[] params, Workspace ws, int m) {
    int layers = spec.layers();
    for (int l = 0; l < layers; l++) {
      int in = spec.size(l);
      int out = spec.size(l + 1);
      float[] z = ws.pre[l];
      int b = spec.biasOffset(l);
      repeatRows(params, b, out, z, m);
      blas.sgemm("T", "N", out, m, in, 1f, params, spec.weightOffset(l), in, ws.act[l], 0, in, 1f, z, 0, out);
      if (l + 1 < layers) spec.activation(l).forward(z, ws.act[l + 1], 0, m * out);
    }
  }

  /**
   * Copies {@code src[off, off + n)} into each of the first m rows of {@code dst} (row length n):
   * the bias before the product adds to it. A method of its own, so the JIT compiles the loop once,
   * whole, rather than first on stack inside the forward pass and then again with it.
   */
  private static void repeatRows(float[] src, int off, int n, float[] dst, int m) {
    for (int r = 0; r < m; r++) System.arraycopy(src, off, dst, r * n, n);
  }

  /** Backward over the m rows whose forward pass is in ws; adds into grad; returns the summed loss. */
  double backwardBlock(float[] params, Workspace ws, int m, int targetWidth, boolean weighted, float[] grad) {
    int layers = spec.layers();
    int k = spec.outputSize();
    float[] d = ws.deltaA;
    float[] dPrev = ws.deltaB;
    double loss = spec.head().lossAndDelta(ws.pre[layers - 1], m, k, ws.targets, targetWidth,
        weighted ? ws.weights : null, d);
    for (int l = layers - 1; l >= 0; l--) {
      int in = spec.size(l);
      int out = spec.size(l + 1);
      int w = spec.weightOffset(l);
      blas.sgemm("N", "T", in, out, m, 1f, ws.act[l], 0, in, d, 0, out, 1f, grad, w, in);
      blas.sgemv("N", out, m, 1f, d, 0, out, ws.ones, 0, 1, 1f, grad, spec.biasOffset(l), 1);
      if (l > 0) {
        blas.sgemm("N", "N", in, m, out, 1f, params, w, in, d, 0, out, 0f, dPrev, 0, in);
        spec.activation(l - 1).backward(ws.pre[l - 1], ws.act[l], dPrev, 0, m * in);
        float[] t = d;
        d = dPrev;
        dPrev = t;
      }
    }
    return loss;
  }

  private void checkData(RowSource data) {
    if (data.features() != spec.inputSize()) {
      throw new IllegalArgumentException("examples have " + data.features() + " features but network " + spec
          + " takes " + spec.inputSize());
    }
    if (!spec.head().acceptsTargetWidth(data.targetWidth(), spec.outputSize())) {
      throw new IllegalArgumentException("targets of width " + data.targetWidth() + " do not fit network " + spec);
    }
  }

  private void checkWorkspace(Workspace ws) {
    if (!ws.spec.equals(spec)) {
      throw new IllegalArgumentException("workspace was made for " + ws.spec + ", not " + spec);
    }
  }

  private static int[] identity(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) a[i] = i;
    return a;
  }
}
