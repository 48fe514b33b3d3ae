package io.sparkprop.driver.model;

import com.google.protobuf.CodedOutputStream;
import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Exports a {@link Model} as an ONNX model: input {@code features} (float, [N, d]); the feature
 * scaling as Sub and Mul; each layer as Gemm(transB = 1) on W (out x in, the engine's layout as
 * it is) and b, followed by its activation op; then Softmax(axis 1), Sigmoid or nothing. Output
 * {@code probabilities} (softmax, sigmoid) or {@code outputs} (linear), float [N, k].
 *
 * <p>Written with protobuf's CodedOutputStream against the field numbers of onnx.proto (IR
 * version 9); opset 17, or 20 when a layer uses GELU (the Gelu op with approximate = "tanh").
 */
public final class OnnxExport {
  private OnnxExport() {}

  // onnx.proto field numbers
  private static final int MODEL_IR_VERSION = 1, MODEL_PRODUCER = 2, MODEL_PRODUCER_VERSION = 3, MODEL_GRAPH = 7,
      MODEL_OPSET = 8;
  private static final int OPSET_DOMAIN = 1, OPSET_VERSION = 2;
  private static final int GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12;
  private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP = 4, NODE_ATTRIBUTE = 5;
  private static final int ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_TYPE = 20;
  private static final int ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3;
  private static final int TENSOR_DIMS = 1, TENSOR_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW = 9;
  private static final int FLOAT = 1;
  private static final int VALUE_NAME = 1, VALUE_TYPE = 2, TYPE_TENSOR = 1, TTYPE_ELEM = 1, TTYPE_SHAPE = 2;
  private static final int SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2;

  /** The ONNX model bytes. */
  public static byte[] export(Model m) {
    NetworkSpec spec = m.spec();
    boolean gelu = spec.hiddenActivations().stream().anyMatch(a -> a.kind() == Activation.Kind.GELU);
    Msg graph = new Msg();
    graph.string(GRAPH_NAME, "sparkprop");
    String x = "features";
    if (m.scaling().kind() != FeatureScaling.Kind.NONE) {
      graph.message(GRAPH_INITIALIZER, tensor("scaling_offset", new long[] {spec.inputSize()}, m.scaling().offset()));
      graph.message(GRAPH_INITIALIZER, tensor("scaling_scale", new long[] {spec.inputSize()}, m.scaling().scale()));
      graph.message(GRAPH_NODE, node("Sub", "scale_sub", new String[] {x, "scaling_offset"}, "centred"));
      graph.message(GRAPH_NODE, node("Mul", "scale_mul", new String[] {"centred", "scaling_scale"}, "scaled"));
      x = "scaled";
    }
    float[] p = m.params();
    for (int l = 0; l < spec.layers(); l++) {
      int in = spec.size(l);
      int out = spec.size(l + 1);
      float[] w = new float[in * out];
      System.arraycopy(p, spec.weightOffset(l), w, 0, w.length);
      float[] b = new float[out];
      System.arraycopy(p, spec.biasOffset(l), b, 0, out);
      graph.message(GRAPH_INITIALIZER, tensor("W" + l, new long[] {out, in}, w));
      graph.message(GRAPH_INITIALIZER, tensor("b" + l, new long[] {out}, b));
      String z = "z" + l;
      Msg gemm = node("Gemm", "layer" + l, new String[] {x, "W" + l, "b" + l}, z);
      gemm.message(NODE_ATTRIBUTE, intAttr("transB", 1));
      graph.message(GRAPH_NODE, gemm);
      if (l + 1 < spec.layers()) {
        String a = "a" + l;
        graph.message(GRAPH_NODE, activation(spec.activation(l), "act" + l, z, a));
        x = a;
      } else {
        x = z;
      }
    }
    String output = spec.head() == Head.LINEAR_SQUARED_ERROR ? "outputs" : "probabilities";
    switch (spec.head()) {
      case SOFTMAX_CROSS_ENTROPY: {
        Msg sm = node("Softmax", "head", new String[] {x}, output);
        sm.message(NODE_ATTRIBUTE, intAttr("axis", 1));
        graph.message(GRAPH_NODE, sm);
        break;
      }
      case SIGMOID_BINARY_CROSS_ENTROPY:
        graph.message(GRAPH_NODE, node("Sigmoid", "head", new String[] {x}, output));
        break;
      default:
        graph.message(GRAPH_NODE, node("Identity", "head", new String[] {x}, output));
    }
    graph.message(GRAPH_INPUT, valueInfo("features", spec.inputSize()));
    graph.message(GRAPH_OUTPUT, valueInfo(output, spec.outputSize()));

    Msg model = new Msg();
    model.int64(MODEL_IR_VERSION, 9);
    model.string(MODEL_PRODUCER, "sparkprop");
    model.string(MODEL_PRODUCER_VERSION, ModelFiles.sparkpropVersion());
    Msg opset = new Msg();
    opset.string(OPSET_DOMAIN, "");
    opset.int64(OPSET_VERSION, gelu ? 20 : 17);
    model.message(MODEL_OPSET, opset);
    model.message(MODEL_GRAPH, graph);
    return model.bytes();
  }

  private static Msg activation(Activation a, String name, String in, String out) {
    switch (a.kind()) {
      case SIGMOID: return node("Sigmoid", name, new String[] {in}, out);
      case TANH: return node("Tanh", name, new String[] {in}, out);
      case RELU: return node("Relu", name, new String[] {in}, out);
      case IDENTITY: return node("Identity", name, new String[] {in}, out);
      case SOFTPLUS: return node("Softplus", name, new String[] {in}, out);
      case LEAKY_RELU: {
        Msg n = node("LeakyRelu", name, new String[] {in}, out);
        Msg alpha = new Msg();
        alpha.string(ATTR_NAME, "alpha");
        alpha.int64(ATTR_TYPE, ATTR_FLOAT);
        alpha.float32(ATTR_F, a.slope());
        n.message(NODE_ATTRIBUTE, alpha);
        return n;
      }
      case GELU: {
        Msg n = node("Gelu", name, new String[] {in}, out);
        Msg approx = new Msg();
        approx.string(ATTR_NAME, "approximate");
        approx.int64(ATTR_TYPE, ATTR_STRING);
        approx.bytes(ATTR_S, "tanh".getBytes(StandardCharsets.UTF_8));
        n.message(NODE_ATTRIBUTE, approx);
        return n;
      }
      default: throw new AssertionError(a);
    }
  }

  private static Msg node(String op, String name, String[] inputs, String output) {
    Msg n = new Msg();
    for (String i : inputs) n.string(NODE_INPUT, i);
    n.string(NODE_OUTPUT, output);
    n.string(NODE_NAME, name);
    n.string(NODE_OP, op);
    return n;
  }

  private static Msg intAttr(String name, long v) {
    Msg a = new Msg();
    a.string(ATTR_NAME, name);
    a.int64(ATTR_TYPE, ATTR_INT);
    a.int64(ATTR_I, v);
    return a;
  }

  private static Msg tensor(String name, long[] dims, float[] values) {
    Msg t = new Msg();
    for (long d : dims) t.int64(TENSOR_DIMS, d);
    t.int64(TENSOR_TYPE, FLOAT);
    t.string(TENSOR_NAME, name);
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    t.bytes(TENSOR_RAW, raw.array());
    return t;
  }

  /** A float [N, width] value with a symbolic batch dimension N. */
  private static Msg valueInfo(String name, int width) {
    Msg batch = new Msg();
    batch.string(DIM_PARAM, "N");
    Msg w = new Msg();
    w.int64(DIM_VALUE, width);
    Msg shape = new Msg();
    shape.message(SHAPE_DIM, batch);
    shape.message(SHAPE_DIM, w);
    Msg tt = new Msg();
    tt.int64(TTYPE_ELEM, FLOAT);
    tt.message(TTYPE_SHAPE, shape);
    Msg type = new Msg();
    type.message(TYPE_TENSOR, tt);
    Msg v = new Msg();
    v.string(VALUE_NAME, name);
    v.message(VALUE_TYPE, type);
    return v;
  }

  /** One protobuf message being written. */
  private static final class Msg {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final CodedOutputStream out = CodedOutputStream.newInstance(buf);

    void int64(int field, long v) {
      io(() -> out.writeInt64(field, v));
    }

    void float32(int field, float v) {
      io(() -> out.writeFloat(field, v));
    }

    void string(int field, String s) {
      io(() -> out.writeString(field, s));
    }

    void bytes(int field, byte[] b) {
      io(() -> out.writeByteArray(field, b));
    }

    void message(int field, Msg m) {
      bytes(field, m.bytes());
    }

    byte[] bytes() {
      io(out::flush);
      return buf.toByteArray();
    }

    private interface IoAction {
      void run() throws IOException;
    }

    private static void io(IoAction a) {
      try {
        a.run();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
