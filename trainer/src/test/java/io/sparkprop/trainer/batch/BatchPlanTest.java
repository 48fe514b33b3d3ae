package io.sparkprop.trainer.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchPlanTest {

  @ParameterizedTest
  @CsvSource({"1,1", "1,5", "7,3", "1000,64", "1023,32", "1024,32", "1025,32", "60000,512", "10,10"})
  void everyEpoch_usesEveryExampleExactlyOnceInExactBatches(int n, int b) {
    BatchPlan plan = new BatchPlan(n, b, false, 42);
    assertEquals((n + b - 1) / b, plan.stepsPerEpoch());
    for (int epoch = 0; epoch < 3; epoch++) {
      int[] seen = new int[n];
      int[] buf = new int[n];
      for (int k = 0; k < plan.stepsPerEpoch(); k++) {
        int c = plan.members(epoch, k, 0, n, buf);
        assertEquals(k < plan.stepsPerEpoch() - 1 ? b : n - (long) b * k, c, "size of batch " + k);
        assertEquals(c, plan.batchLength(k));
        for (int i = 0; i < c; i++) {
          seen[buf[i]]++;
          assertEquals(k, plan.batchOf(epoch, buf[i]));
          assertEquals((long) k * b + i, plan.position(epoch, buf[i]), "members come in position order");
        }
      }
      for (int id = 0; id < n; id++) assertEquals(1, seen[id], "example " + id + " in epoch " + epoch);
    }
  }

  @Test
  void dropLast_skipsTheShortTail() {
    BatchPlan plan = new BatchPlan(10, 4, true, 1);
    assertEquals(2, plan.stepsPerEpoch());
    int dropped = 0;
    for (int id = 0; id < 10; id++) if (plan.batchOf(0, id) == -1) dropped++;
    assertEquals(2, dropped);
    assertThrows(IllegalArgumentException.class, () -> new BatchPlan(3, 4, true, 1));
  }

  @Test
  void membership_isIdenticalWhenExamplesAreSplitIntoArbitraryGroups() {
    int n = 5000;
    BatchPlan plan = new BatchPlan(n, 256, false, 99);
    SplittableRandom rnd = new SplittableRandom(3);
    List<long[]> groups = new ArrayList<>();
    long lo = 0;
    while (lo < n) {
      long hi = Math.min(n, lo + (rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(1500)));
      groups.add(new long[] {lo, hi}); // includes empty groups
      lo = hi;
    }
    int[] whole = new int[n];
    int[] part = new int[n];
    for (int epoch = 0; epoch < 2; epoch++) {
      for (int k = 0; k < plan.stepsPerEpoch(); k++) {
        int c = plan.members(epoch, k, 0, n, whole);
        long[] union = new long[c];
        int u = 0;
        for (long[] g : groups) {
          int pc = plan.members(epoch, k, g[0], g[1], part);
          for (int i = 0; i < pc; i++) union[u++] = g[0] + part[i];
        }
        assertEquals(c, u);
        long[] expect = new long[c];
        for (int i = 0; i < c; i++) expect[i] = whole[i];
        Arrays.sort(expect);
        Arrays.sort(union);
        assertArrayEquals(expect, union);
      }
    }
  }

  @Test
  void positionAndExampleAt_areInverseBijections() {
    BatchPlan plan = new BatchPlan(777, 10, false, 5);
    boolean[] hit = new boolean[777];
    for (long id = 0; id < 777; id++) {
      long p = plan.position(4, id);
      assertTrue(p >= 0 && p < 777);
      assertEquals(id, plan.exampleAt(4, p));
      hit[(int) p] = true;
    }
    for (boolean h : hit) assertTrue(h);
  }

  @Test
  void order_dependsOnEpochAndSeedOnly() {
    BatchPlan a = new BatchPlan(1000, 10, false, 1);
    BatchPlan b = new BatchPlan(1000, 10, false, 1);
    BatchPlan c = new BatchPlan(1000, 10, false, 2);
    long[] pa0 = new long[1000];
    long[] pa1 = new long[1000];
    long[] pc0 = new long[1000];
    int fixed = 0;
    for (int id = 0; id < 1000; id++) {
      pa0[id] = a.position(0, id);
      assertEquals(pa0[id], b.position(0, id));
      pa1[id] = a.position(1, id);
      pc0[id] = c.position(0, id);
      if (pa0[id] == id) fixed++;
    }
    assertNotEquals(Arrays.toString(pa0), Arrays.toString(pa1));
    assertNotEquals(Arrays.toString(pa0), Arrays.toString(pc0));
    assertTrue(fixed < 20, "a shuffle leaves about 1 fixed point, got " + fixed);
  }

  @Test
  void badArguments_nameTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BatchPlan(0, 10, false, 1));
    assertTrue(e.getMessage().contains("0 examples"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BatchPlan(10, 0, false, 1));
    assertTrue(e.getMessage().contains("got 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BatchPlan(10, 3, false, 1).batchLength(4));
    assertTrue(e.getMessage().contains("batch 4"), e.getMessage());
  }
}
