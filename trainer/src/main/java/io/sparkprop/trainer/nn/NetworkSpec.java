package io.sparkprop.trainer.nn;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The shape of a multilayer perceptron and the layout of its one flat parameter array.
 *
 * <p>Immutable and validated at construction. {@code sizes = [n0, n1, ..., nL]} gives L affine
 * layers; layer l (0-based) maps n_l inputs to n_{l+1} outputs by z = W a + b. Hidden layers
 * (all but the last) apply their own {@link Activation}; the last layer feeds the {@link Head}.
 * Zero hidden layers ({@code sizes = [n0, k]}) is logistic, softmax or linear regression.
 *
 * <h2>Parameter layout</h2>
 * One float32 array holds every layer in order. Layer l occupies
 * {@code [weightOffset(l), biasOffset(l) + n_{l+1})}: first W, n_{l+1} x n_l row-major
 * (W[j][i] at {@code weightOffset(l) + j * n_l + i}), then b, n_{l+1} values. The gradient has
 * exactly the same layout. Model files, the ONNX export and the distributed loop rely on it.
 */
public final class NetworkSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Largest parameter count: a Java array index, less the VM's header reserve. */
  public static final int MAX_PARAMS = Integer.MAX_VALUE - 8;

  private final int[] sizes;
  private final Activation[] hidden;
  private final Head head;
  private final int[] offsets; // offsets[l] = weightOffset(l); offsets[L] = paramCount

  /**
   * @param sizes layer widths n0..nL, at least two, each at least 1
   * @param hidden one activation per hidden layer (sizes.length - 2 of them)
   * @param head the output head
   */
  public NetworkSpec(int[] sizes, List<Activation> hidden, Head head) {
    Objects.requireNonNull(sizes, "sizes");
    Objects.requireNonNull(hidden, "hidden activations");
    Objects.requireNonNull(head, "head");
    if (sizes.length < 2) {
      throw new IllegalArgumentException("a network needs at least an input and an output size, got "
          + Arrays.toString(sizes));
    }
    for (int l = 0; l < sizes.length; l++) {
      if (sizes[l] < 1) {
        throw new IllegalArgumentException("layer " + l + " has size " + sizes[l]
            + " in " + Arrays.toString(sizes) + "; every layer needs at least 1 unit");
      }
    }
    if (hidden.size() != sizes.length - 2) {
      throw new IllegalArgumentException(sizes.length - 2 + " hidden layers in " + Arrays.toString(sizes)
          + " but " + hidden.size() + " hidden activations given");
    }
    for (int l = 0; l < hidden.size(); l++) {
      if (hidden.get(l) == null) {
        throw new IllegalArgumentException("hidden layer " + (l + 1) + " has no activation");
      }
    }
    int k = sizes[sizes.length - 1];
    if (head == Head.SOFTMAX_CROSS_ENTROPY && k < 2) {
      throw new IllegalArgumentException("softmax output needs at least 2 units, got output layer size " + k
          + "; use the sigmoid output for a single binary target");
    }
    this.sizes = sizes.clone();
    this.hidden = hidden.toArray(new Activation[0]);
    this.head = head;
    this.offsets = new int[sizes.length];
    long off = 0;
    for (int l = 0; l + 1 < sizes.length; l++) {
      offsets[l] = (int) off;
      off += (long) sizes[l + 1] * sizes[l] + sizes[l + 1];
      if (off > MAX_PARAMS) {
        throw new IllegalArgumentException("network " + Arrays.toString(sizes) + " has more than "
            + MAX_PARAMS + " parameters (reached " + off + " at layer " + l + ")");
      }
    }
    offsets[sizes.length - 1] = (int) off;
  }

  /** Every hidden layer uses the same activation. */
  public static NetworkSpec of(int[] sizes, Activation hiddenActivation, Head head) {
    int h = Math.max(0, sizes.length - 2);
    return new NetworkSpec(sizes, Collections.nCopies(h, hiddenActivation), head);
  }

  /** Number of affine layers L. */
  public int layers() {
    return sizes.length - 1;
  }

  /** n_l, for l in [0, L]. */
  public int size(int l) {
    return sizes[l];
  }

  public int[] sizes() {
    return sizes.clone();
  }

  public int inputSize() {
    return sizes[0];
  }

  public int outputSize() {
    return sizes[sizes.length - 1];
  }

  /** Widest layer, input included. */
  public int maxWidth() {
    int m = 0;
    for (int s : sizes) m = Math.max(m, s);
    return m;
  }

  /** The activation after affine layer l, for l in [0, L-1). */
  public Activation activation(int l) {
    return hidden[l];
  }

  public List<Activation> hiddenActivations() {
    return Collections.unmodifiableList(new ArrayList<>(Arrays.asList(hidden)));
  }

  public Head head() {
    return head;
  }

  /** Offset of W of layer l in the flat array. */
  public int weightOffset(int l) {
    return offsets[l];
  }

  /** Offset of b of layer l in the flat array. */
  public int biasOffset(int l) {
    return offsets[l] + sizes[l + 1] * sizes[l];
  }

  /** Length of the flat parameter (and gradient) array. */
  public int paramCount() {
    return offsets[sizes.length - 1];
  }

  /** Multiply-adds of one example's forward pass (backward is about twice this). */
  public long macsPerExample() {
    long m = 0;
    for (int l = 0; l + 1 < sizes.length; l++) m += (long) sizes[l] * sizes[l + 1];
    return m;
  }

  /** Checks that a parameter array has this spec's length. */
  public void checkParams(float[] params, String what) {
    if (params == null || params.length != paramCount()) {
      throw new IllegalArgumentException(what + " has length " + (params == null ? "null" : params.length)
          + " but network " + this + " has " + paramCount() + " parameters");
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof NetworkSpec)) return false;
    NetworkSpec s = (NetworkSpec) o;
    return Arrays.equals(sizes, s.sizes) && Arrays.equals(hidden, s.hidden) && head == s.head;
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(sizes), Arrays.hashCode(hidden), head);
  }

  /** For example {@code 784-256(relu)-128(relu)-10 softmax}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder().append(sizes[0]);
    for (int l = 1; l < sizes.length; l++) {
      b.append('-').append(sizes[l]);
      if (l < sizes.length - 1) b.append('(').append(hidden[l - 1]).append(')');
    }
    return b.append(' ').append(head.configName()).toString();
  }
}
