package io.sparkprop.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.nn.Workspace;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memory-mapped packed file against the same rows in heap arrays (the independent reference). */
class MappedExamplesTest {
  @TempDir
  Path dir;

  private static Examples block(Random rnd, int rows, int d, int k, boolean weighted) {
    float[] x = new float[rows * d];
    float[] y = new float[rows];
    float[] w = weighted ? new float[rows] : null;
    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
    for (int r = 0; r < rows; r++) {
      y[r] = rnd.nextInt(k);
      if (w != null) w[r] = rnd.nextFloat() * 2;
    }
    return new Examples(0, rows, d, 1, x, y, w);
  }

  /** The blocks concatenated as the in-memory packing does: weights of 1 for unweighted blocks when any is weighted. */
  private static Examples concat(List<Examples> blocks, long firstId) {
    int d = blocks.get(0).features();
    int n = blocks.stream().mapToInt(Examples::rows).sum();
    boolean weighted = blocks.stream().anyMatch(b -> b.w() != null);
    float[] x = new float[n * d];
    float[] y = new float[n];
    float[] w = weighted ? new float[n] : null;
    int r = 0;
    for (Examples b : blocks) {
      System.arraycopy(b.x(), 0, x, r * d, b.rows() * d);
      System.arraycopy(b.y(), 0, y, r, b.rows());
      for (int i = 0; w != null && i < b.rows(); i++) w[r + i] = b.w() == null ? 1f : b.w()[i];
      r += b.rows();
    }
    return new Examples(firstId, n, d, 1, x, y, w);
  }

  private Path write(List<Examples> blocks, int d) throws IOException {
    Path f = dir.resolve("part-" + blocks.size() + "-" + d + ".bin");
    try (MappedExamples.Writer wr = new MappedExamples.Writer(f, d, 1)) {
      for (Examples b : blocks) wr.append(b);
      assertEquals(blocks.stream().mapToInt(Examples::rows).sum(), wr.rows());
    }
    return f;
  }

  @Test
  void gathersTheSameFloatsAcrossSegmentBoundaries() throws IOException {
    Random rnd = new Random(1);
    int d = 13;
    List<Examples> blocks = List.of(block(rnd, 70, d, 4, false), block(rnd, 1, d, 4, true), block(rnd, 129, d, 4, false));
    Examples heap = concat(blocks, 1000);
    Path f = write(blocks, d);
    // segments of 9 records: rows straddle many mappings
    MappedExamples mapped = MappedExamples.open(f, 1000, heap.rows(), d, 1, true, 9 * MappedExamples.recordBytes(d, 1) + 5);
    assertTrue(mapped.weighted());
    int[] idx = new int[300];
    for (int i = 0; i < idx.length; i++) idx[i] = rnd.nextInt(heap.rows());
    float[] xa = new float[300 * d], ya = new float[300], wa = new float[300];
    float[] xb = new float[300 * d], yb = new float[300], wb = new float[300];
    heap.gather(idx, 0, 300, xa, ya, wa);
    mapped.gather(idx, 0, 300, xb, yb, wb);
    assertArrayEquals(xa, xb);
    assertArrayEquals(ya, yb);
    assertArrayEquals(wa, wb);
    Examples slice = mapped.slice(60, 20);
    assertEquals(1060, slice.firstId());
    assertEquals(heap.contentHash() - hashOutside(heap, 60, 20), slice.contentHash());
  }

  private static long hashOutside(Examples e, int from, int n) {
    long h = 0;
    int d = e.features();
    for (int[] range : new int[][] {{0, from}, {from + n, e.rows()}}) {
      int len = range[1] - range[0];
      if (len == 0) continue;
      float[] x = java.util.Arrays.copyOfRange(e.x(), range[0] * d, range[1] * d);
      float[] y = java.util.Arrays.copyOfRange(e.y(), range[0], range[1]);
      float[] w = e.w() == null ? null : java.util.Arrays.copyOfRange(e.w(), range[0], range[1]);
      h += new Examples(0, len, d, 1, x, y, w).contentHash();
    }
    return h;
  }

  @Test
  void unweightedFileReadsAsUnweighted() throws IOException {
    Random rnd = new Random(2);
    Path f = write(List.of(block(rnd, 10, 3, 2, false)), 3);
    MappedExamples m = MappedExamples.open(f, 0, 10, 3, 1, false);
    assertFalse(m.weighted());
    assertEquals(10 * MappedExamples.recordBytes(3, 1), Files.size(f));
  }

  @Test
  void gradientIsBitwiseTheHeapGradient() throws IOException {
    Random rnd = new Random(3);
    int d = 20;
    NetworkSpec spec = NetworkSpec.of(new int[] {d, 16, 5}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    List<Examples> blocks = new ArrayList<>();
    for (int i = 0; i < 5; i++) blocks.add(block(rnd, 37 + i, d, 5, i % 2 == 0));
    Examples heap = concat(blocks, 0);
    MappedExamples mapped = MappedExamples.open(write(blocks, d), 0, heap.rows(), d, 1, true, 4096);
    float[] params = new float[spec.paramCount()];
    for (int i = 0; i < params.length; i++) params[i] = (float) (rnd.nextGaussian() * 0.1);
    Network net = new Network(spec);
    int[] members = new int[120];
    for (int i = 0; i < members.length; i++) members[i] = rnd.nextInt(heap.rows());
    float[] ga = new float[params.length];
    float[] gb = new float[params.length];
    LossSum a = net.accumulateGradient(params, heap, members, members.length, new Workspace(spec, 32), ga);
    LossSum b = net.accumulateGradient(params, mapped, members, members.length, new Workspace(spec, 32), gb);
    assertArrayEquals(ga, gb);
    assertEquals(a.loss(), b.loss());
    assertEquals(a.weight(), b.weight());
    assertEquals(net.evaluate(params, heap, new Workspace(spec, 32)).loss(), net.evaluate(params, mapped, new Workspace(spec, 32)).loss());
  }

  @Test
  void truncatedFileIsRefusedNamingTheSizes() throws IOException {
    Random rnd = new Random(4);
    Path f = write(List.of(block(rnd, 10, 3, 2, false)), 3);
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.truncate(100);
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> MappedExamples.open(f, 0, 10, 3, 1, false));
    assertTrue(e.getMessage().contains("holds 100 bytes, expected 10 rows x 20 bytes = 200"), e.getMessage());
  }
}
