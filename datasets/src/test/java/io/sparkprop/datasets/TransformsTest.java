package io.sparkprop.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.data.Examples;
import java.util.HashSet;
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
}
