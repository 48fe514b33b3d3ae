package io.sparkprop.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.data.Examples;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TransformsTest {

  static ExampleSet small() {
    // feature 0: 1, 2, 3, 6; feature 1 constant 5
    Examples e = new Examples(0, 4, 2, 1, new float[] {1, 5, 2, 5, 3, 5, 6, 5}, new float[] {0, 1, 0, 1}, null);
    return LocalExamples.distribute(Spark.sc(), e, 3, "small");
  }

  @Test
  void minMax_mapsToUnitIntervalAndConstantFeaturesToZero() {
    FeatureScaling s = FeatureScaling.fit(FeatureScaling.Kind.MIN_MAX, small());
    assertArrayEquals(new float[] {1, 5}, s.offset(), 0f);
    assertArrayEquals(new float[] {0.2f, 1}, s.scale(), 0f);
    Examples x = Collect.all(s.apply(small()));
    assertArrayEquals(new float[] {0, 0, 0.2f, 0, 0.4f, 0, 1, 0}, x.x(), 1e-7f);
  }

  @Test
  void standard_givesMeanZeroUnitVariance() {
    FeatureScaling s = FeatureScaling.fit(FeatureScaling.Kind.STANDARD, small());
    // mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5
    assertEquals(3f, s.offset()[0], 1e-6f);
    assertEquals((float) (1 / Math.sqrt(3.5)), s.scale()[0], 1e-6f);
    assertEquals(1f, s.scale()[1], 0f);
    Examples x = Collect.all(s.apply(small()));
    double sum = 0;
    double sq = 0;
    for (int r = 0; r < 4; r++) {
      sum += x.x()[2 * r];
      sq += x.x()[2 * r] * x.x()[2 * r];
    }
    assertEquals(0, sum / 4, 1e-6);
    assertEquals(1, sq / 4, 1e-5);
  }

  @Test
  void split_isDisjointCompleteSeededAndNearTheFraction() {
    ExampleSet all = Generators.blobs(Spark.sc(), 5000, 1, 2, 1, 4, 3);
    ExampleSet[] a = Splits.trainValidation(all, 0.2, 7);
    ExampleSet[] b = Splits.trainValidation(all, 0.2, 7);
    Examples t = Collect.all(a[0]);
    Examples v = Collect.all(a[1]);
    assertEquals(5000, t.rows() + v.rows());
    assertTrue(Math.abs(v.rows() - 1000) < 120, "validation rows " + v.rows());
    assertArrayEquals(v.x(), Collect.all(b[1]).x(), 0f);
    Set<Float> tv = new HashSet<>();
    for (float f : t.x()) tv.add(f);
    for (float f : v.x()) assertTrue(!tv.contains(f) || f == 0f, "value in both splits: " + f);
    assertThrows(IllegalArgumentException.class, () -> Splits.trainValidation(all, 1.0, 1));
  }

  @Test
  void split_keepsEachPartitionsRowsInOrderWithTheirWeightsAcrossSeveralBlocks() {
    // two partitions of two blocks each; feature 0 of a row is its global index, its weight index / 100
    int d = 3;
    List<Examples> blocks = new ArrayList<>();
    int next = 0;
    for (int rows : new int[] {40, 1, 25, 34}) {
      float[] x = new float[rows * d];
      float[] y = new float[rows];
      float[] w = new float[rows];
      for (int r = 0; r < rows; r++, next++) {
        x[r * d] = next;
        x[r * d + 1] = -next;
        y[r] = next % 2;
        w[r] = next / 100f;
      }
      blocks.add(new Examples(0, rows, d, 1, x, y, w));
    }
    ExampleSet set = new ExampleSet(Spark.sc().parallelize(blocks, 2), d, 1, "blocks");
    ExampleSet[] s = Splits.trainValidation(set, 0.3, 11);
    List<Examples> train = s[0].blocks().collect();
    List<Examples> validation = s[1].blocks().collect();
    assertEquals(2, train.size());
    assertEquals(2, validation.size());
    int[][] inPartition = {{0, 41}, {41, 100}};
    for (int p = 0; p < 2; p++) {
      Examples t = train.get(p);
      Examples v = validation.get(p);
      assertEquals(t.rows() * d, t.x().length, "train block holds exactly its rows");
      assertEquals(v.rows() * d, v.x().length, "validation block holds exactly its rows");
      // merged by index, the two sides are the partition's rows, each once, each side in input order
      int i = 0;
      int j = 0;
      for (int row = inPartition[p][0]; row < inPartition[p][1]; row++) {
        Examples side = i < t.rows() && t.x()[i * d] == row ? t : v;
        int at = side == t ? i++ : j++;
        assertEquals(row, side.x()[at * d], 0f, "partition " + p + " row " + row);
        assertEquals(-row, side.x()[at * d + 1], 0f);
        assertEquals(row % 2, side.y()[at], 0f);
        assertEquals(row / 100f, side.w()[at], 0f);
      }
      assertEquals(t.rows(), i);
      assertEquals(v.rows(), j);
    }
    int validationRows = validation.get(0).rows() + validation.get(1).rows();
    assertTrue(validationRows > 15 && validationRows < 45, "validation rows " + validationRows);
  }

  @Test
  void blockBuilder_sizedForItsRowsHandsOverItsArraysAndStillGrowsPastThem() {
    BlockBuilder sized = new BlockBuilder(2, 1, true, 3);
    float[] x = sized.x();
    for (int r = 0; r < 3; r++) {
      int row = sized.addRow();
      sized.x()[row * 2] = r;
      sized.w()[row] = 1;
    }
    Examples e = sized.build();
    assertTrue(e.x() == x, "a builder filled to its size hands over its array");
    BlockBuilder small = new BlockBuilder(2, 1, false, 1);
    for (int r = 0; r < 5; r++) {
      int row = small.addRow(); // before x(): the row may grow the array
      small.x()[row * 2 + 1] = r;
    }
    Examples grown = small.build();
    assertEquals(5, grown.rows());
    assertArrayEquals(new float[] {0, 0, 0, 1, 0, 2, 0, 3, 0, 4}, grown.x(), 0f);
    assertEquals(0, new BlockBuilder(2, 1, false, 4).build().x().length, "an unfilled builder gives its rows only");
    assertThrows(IllegalArgumentException.class, () -> new BlockBuilder(2, 1, false, -1));
  }
}
