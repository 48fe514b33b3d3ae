package io.sparkprop.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.data.Examples;
import org.junit.jupiter.api.Test;

class GeneratorsTest {

  @Test
  void rows_doNotDependOnThePartitionCount() {
    for (int p : new int[] {1, 3, 7}) {
      assertArrayEquals(Collect.all(Generators.spirals(Spark.sc(), 1000, 3, 1.5, 0.05, 1, 9)).x(),
          Collect.all(Generators.spirals(Spark.sc(), 1000, 3, 1.5, 0.05, p, 9)).x(), 0f);
    }
    assertTrue(!java.util.Arrays.equals(Collect.all(Generators.moons(Spark.sc(), 100, 0.1, 2, 1)).x(),
        Collect.all(Generators.moons(Spark.sc(), 100, 0.1, 2, 2)).x()), "another seed gives other data");
  }

  @Test
  void everyGenerator_hasItsShapeAndLabelRange() {
    check(Generators.xor(Spark.sc(), 400, 0.1, 2, 1), 2, 2);
    check(Generators.moons(Spark.sc(), 400, 0.1, 2, 1), 2, 2);
    check(Generators.spirals(Spark.sc(), 400, 5, 1, 0.1, 2, 1), 2, 5);
    check(Generators.blobs(Spark.sc(), 400, 7, 4, 3, 2, 1), 7, 4);
    check(Generators.teacher(Spark.sc(), 400, 10, 8, 3, false, 2, 1), 10, 3);
    Examples reg = Collect.all(Generators.teacher(Spark.sc(), 400, 10, 8, 2, true, 2, 1));
    assertEquals(2, reg.targetWidth());
    double var = 0;
    for (float v : reg.y()) var += v * v;
    assertTrue(var / reg.y().length > 0.01, "teacher regression targets vary: " + var / reg.y().length);
  }

  static void check(ExampleSet s, int d, int classes) {
    Examples e = Collect.all(s);
    assertEquals(400, e.rows());
    assertEquals(d, e.features());
    int[] counts = new int[classes];
    for (float y : e.y()) {
      assertTrue(y >= 0 && y < classes && y == Math.rint(y), s.description() + " label " + y);
      counts[(int) y]++;
    }
    for (int c = 0; c < classes; c++) assertTrue(counts[c] > 0, s.description() + " never produced class " + c);
    e.validate(io.sparkprop.trainer.nn.Head.SOFTMAX_CROSS_ENTROPY, d, classes);
  }

  @Test
  void xorClusters_sitAtTheCornersWithXorLabels() {
    Examples e = Collect.all(Generators.xor(Spark.sc(), 200, 0.0, 2, 4));
    for (int r = 0; r < 200; r++) {
      int a = (int) e.x()[2 * r];
      int b = (int) e.x()[2 * r + 1];
      assertEquals(a ^ b, (int) e.y()[r]);
    }
  }

  @Test
  void badParameters_nameTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Generators.moons(Spark.sc(), 10, -1, 1, 1));
    assertTrue(e.getMessage().contains("-1.0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Generators.spirals(Spark.sc(), 10, 1, 1, 0, 1, 1));
    assertTrue(e.getMessage().contains("got 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Generators.xor(Spark.sc(), 0, 0.1, 1, 1));
    assertTrue(e.getMessage().contains("got 0"), e.getMessage());
  }
}
