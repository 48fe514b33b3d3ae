package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The driver-side sum is a function of the partition results alone, not of arrival order. */
class OrderedSumTest {

  @Test
  void anyArrivalOrder_givesTheBitsOfPartitionOrder() {
    SplittableRandom r = new SplittableRandom(1);
    int parts = 9;
    byte[][] results = new byte[parts][];
    for (int p = 0; p < parts; p++) {
      if (p == 4) {
        results[p] = StepResult.empty(5, 1); // a partition with no member of the batch
        continue;
      }
      float[] g = new float[1000];
      for (int i = 0; i < g.length; i++) g[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(8) - 4));
      results[p] = StepResult.encode(g, p * 1.5, p + 1, p + 1, 100 + p, 10 + p);
    }
    OrderedSum inOrder = new OrderedSum(parts);
    for (int p = 0; p < parts; p++) inOrder.apply(p, results[p]);
    List<Integer> order = new ArrayList<>();
    for (int p = 0; p < parts; p++) order.add(p);
    for (int trial = 0; trial < 20; trial++) {
      Collections.shuffle(order, new Random(trial));
      OrderedSum shuffled = new OrderedSum(parts);
      for (int p : order) shuffled.apply(p, results[p]);
      assertArrayEquals(inOrder.grad(), shuffled.grad(), 0f);
      assertEquals(inOrder.loss(), shuffled.loss(), 0);
    }
    assertEquals(108, inOrder.maxComputeNanos());
    assertEquals(40, inOrder.count()); // 1+2+...+9 without partition 4's 5
  }

  @Test
  void encodeDecode_roundTripsExactly() {
    float[] g = {1.5f, -0f, Float.MIN_VALUE, 3.4e38f};
    StepResult d = StepResult.decode(StepResult.encode(g, 2.25, 3.5, 7, 99, 42));
    float[] back = new float[4];
    d.grad.get(back);
    assertArrayEquals(g, back, 0f);
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(back[1]));
    assertEquals(2.25, d.loss, 0);
    assertEquals(3.5, d.weight, 0);
    assertEquals(7, d.count);
    assertEquals(99, d.computeNanos);
    assertEquals(42, d.paramsNanos);
    assertNull(StepResult.decode(StepResult.empty(1, 0)).grad);
  }

  @Test
  void readingBeforeEveryPartitionArrived_isAStateError() {
    OrderedSum s = new OrderedSum(2);
    s.apply(1, StepResult.empty(0, 0));
    IllegalStateException e = assertThrows(IllegalStateException.class, s::grad);
    assertEquals("only 0 of 2 partitions have been added", e.getMessage());
  }
}
