package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.optim.Ranges;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The executor's thread helpers: a task's items on its threads, elementwise passes in slices. */
class ExecutorStateTest {

  @Test
  void ranges_coverEveryIndexOnce_onSeveralThreads() {
    for (int threads : new int[] {1, 2, 3, 8}) {
      for (int n : new int[] {0, 1, 100, 16_383, 16_384 * 2, 235_146, 1_000_003}) {
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        Set<String> names = ConcurrentHashMap.newKeySet();
        ExecutorState.ranges(threads).run(n, (from, to) -> {
          names.add(Thread.currentThread().getName());
          for (int i = from; i < to; i++) hits.incrementAndGet(i);
        });
        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "threads " + threads + ", n " + n + ", index " + i);
        int expected = (int) Math.max(1, Math.min(threads, n / 16_384));
        assertTrue(names.size() <= expected && (expected > 1 || names.equals(Set.of(Thread.currentThread().getName()))),
            "threads " + threads + ", n " + n + ": " + names + " (at most " + expected + " slices; one runs on the caller)");
      }
    }
    assertSame(Ranges.SERIAL, ExecutorState.ranges(1));
  }

  @Test
  void firstNonFinite_isTheFirstIndexWhicheverSliceFindsIt() {
    float[] a = new float[200_000];
    assertEquals(-1, ExecutorState.firstNonFinite(a, ExecutorState.ranges(2)));
    a[150_000] = Float.NaN;
    assertEquals(150_000, ExecutorState.firstNonFinite(a, ExecutorState.ranges(2)));
    a[120_001] = Float.NEGATIVE_INFINITY;
    a[7] = Float.POSITIVE_INFINITY;
    for (int threads : new int[] {1, 2, 4}) {
      assertEquals(7, ExecutorState.firstNonFinite(a, ExecutorState.ranges(threads)), threads + " threads");
    }
  }

  @Test
  void groupSum_findsTheSumsFirstNonFiniteIndex_whileAdding() {
    int n = 100_000;
    java.util.List<io.sparkprop.trainer.data.RowSource> blocks = new java.util.ArrayList<>();
    for (int b = 0; b < 3; b++) blocks.add(new io.sparkprop.trainer.data.Examples(b, 1, 1, 1, new float[1], new float[1], null));
    float[][] parts = new float[3][n];
    parts[1][90_000] = Float.NaN; // in one block
    parts[2][60_000] = Float.NEGATIVE_INFINITY;
    parts[0][70_000] = Float.MAX_VALUE; // finite in every block, infinite only in the sum
    parts[2][70_000] = Float.MAX_VALUE;
    for (int threads : new int[] {1, 2, 3}) {
      for (int clean = 0; clean < 2; clean++) {
        ExecutorState.Group g = new ExecutorState.Group(n);
        int c = clean;
        java.util.concurrent.atomic.AtomicInteger which = new java.util.concurrent.atomic.AtomicInteger();
        g.accumulate(blocks, (block, buf) -> {
          float[] src = c == 1 ? new float[n] : parts[(int) block.firstId()];
          System.arraycopy(src, 0, buf, 0, n);
          which.incrementAndGet();
          return new io.sparkprop.trainer.nn.LossSum(0, 1, 1);
        }, ExecutorState.ranges(threads), true);
        assertEquals(3, which.get());
        int serial = DistributedTrainer.firstNonFinite(g.sum());
        assertEquals(clean == 1 ? -1 : 60_000, serial, "the sum's own first non-finite index");
        assertEquals(serial, g.firstNonFiniteOfSum(Ranges.SERIAL), threads + " threads, clean " + clean);
      }
    }
  }

  @Test
  void nonFiniteScan_scansEachRangeAfterItsWork_andKeepsTheSmallestIndex() {
    float[] a = new float[300_000];
    for (int threads : new int[] {1, 2, 4}) {
      java.util.Arrays.fill(a, 1f);
      ExecutorState.NonFiniteScan scan = new ExecutorState.NonFiniteScan(a);
      scan.after(ExecutorState.ranges(threads)).run(a.length, (from, to) -> {
        for (int i = from; i < to; i++) if (i == 250_000 || i == 40_000) a[i] = Float.POSITIVE_INFINITY; // written by the work
      });
      assertEquals(40_000, scan.first(), threads + " threads");
    }
    java.util.Arrays.fill(a, 2f);
    ExecutorState.NonFiniteScan none = new ExecutorState.NonFiniteScan(a);
    none.after(ExecutorState.ranges(2)).run(a.length, (from, to) -> { });
    assertEquals(-1, none.first());
  }

  /** The group's sum (BLAS saxpy per slice) against a plain Java loop adding the blocks in order: the same bits. */
  @Test
  void groupSum_isTheBlocksAddedInOrder_bitForBit() {
    int n = 70_001;
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    float[][] parts = new float[3][n];
    for (float[] p : parts) for (int i = 0; i < n; i++) p[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-8, 9)));
    float[] expected = parts[0].clone();
    for (int k = 1; k < 3; k++) for (int i = 0; i < n; i++) expected[i] += parts[k][i];
    java.util.List<io.sparkprop.trainer.data.RowSource> blocks = new java.util.ArrayList<>();
    for (int b = 0; b < 3; b++) blocks.add(new io.sparkprop.trainer.data.Examples(b, 1, 1, 1, new float[1], new float[1], null));
    for (int threads : new int[] {1, 2, 3}) {
      ExecutorState.Group g = new ExecutorState.Group(n);
      g.accumulate(blocks, (block, buf) -> {
        System.arraycopy(parts[(int) block.firstId()], 0, buf, 0, n);
        return new io.sparkprop.trainer.nn.LossSum(0, 1, 1);
      }, ExecutorState.ranges(threads), true);
      assertTrue(java.util.Arrays.equals(expected, g.sum()), threads + " threads");
      assertEquals(-1, g.firstNonFiniteOfSum(Ranges.SERIAL));
    }
  }
}
