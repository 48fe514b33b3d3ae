package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The partitions each streaming task takes: by where they are cached, balanced, every partition once. */
class StreamGroupsTest {
  private static final String A = "executor_10.0.0.1_0";
  private static final String B = "executor_10.0.0.1_1";
  private static final String C = "executor_10.0.0.2_2";
  private static final String D = "executor_10.0.0.2_3";

  /** Every partition in exactly one group, each group ascending, groups ordered by their first partition. */
  private static void assertPartition(StreamGroups g, int partitions) {
    int[] seen = new int[partitions];
    int last = -1;
    for (int[] m : g.members()) {
      assertTrue(m.length > 0, "an empty group");
      assertTrue(m[0] > last, "groups ordered by their first partition: " + Arrays.deepToString(g.members()));
      last = m[0];
      for (int j = 1; j < m.length; j++) assertTrue(m[j] > m[j - 1], "ascending: " + Arrays.toString(m));
      for (int p : m) seen[p]++;
    }
    for (int p = 0; p < partitions; p++) assertEquals(1, seen[p], "partition " + p + " in " + Arrays.deepToString(g.members()));
    int[] of = g.groupOf(partitions);
    for (int i = 0; i < g.size(); i++) for (int p : g.members()[i]) assertEquals(i, of[p]);
  }

  @Test
  void eightPartitionsOnFourOneSlotExecutors_twoPerExecutorWhereCached() {
    String[] at = {A, B, C, D, A, B, C, D}; // Spark's round-robin cache placement
    StreamGroups g = StreamGroups.plan(at, 4, 1);
    assertPartition(g, 8);
    assertArrayEquals(new int[][] {{0, 4}, {1, 5}, {2, 6}, {3, 7}}, g.members());
    assertArrayEquals(new String[] {A, B, C, D}, g.locations());
  }

  @Test
  void asManySlotsAsPartitions_aTaskEach() {
    StreamGroups g = StreamGroups.plan(new String[] {A, B, A, B}, 8, 4);
    assertArrayEquals(new int[][] {{0}, {1}, {2}, {3}}, g.members());
    assertArrayEquals(new String[] {A, B, A, B}, g.locations());
  }

  @Test
  void anExecutorWithTwoSlots_takesTwoGroupsOfItsPartitions() {
    StreamGroups g = StreamGroups.plan(new String[] {A, A, A, A, C, C, C, C}, 4, 2);
    assertArrayEquals(new int[][] {{0, 1}, {2, 3}, {4, 5}, {6, 7}}, g.members());
    assertArrayEquals(new String[] {A, A, C, C}, g.locations());
  }

  @Test
  void partitionsBeyondTheirExecutorsShare_fillTheGroupsWithRoom_noGroupAboveTheCeiling() {
    // A caches three, B one: A's third goes to B's group, whose task fetches it once
    StreamGroups g = StreamGroups.plan(new String[] {A, A, A, B, C, C, D, D}, 4, 1);
    assertPartition(g, 8);
    assertArrayEquals(new int[][] {{0, 1}, {2, 3}, {4, 5}, {6, 7}}, g.members());
    assertArrayEquals(new String[] {A, B, C, D}, g.locations());
    StreamGroups none = StreamGroups.plan(new String[] {null, null, null, null, null}, 2, 1); // nothing cached
    assertArrayEquals(new int[][] {{0, 2, 4}, {1, 3}}, none.members());
    assertArrayEquals(new String[] {null, null}, none.locations());
  }

  @Test
  void anyPlacement_coversEveryPartitionOnce_inAtMostTheSlots_balanced() {
    SplittableRandom r = new SplittableRandom(3);
    String[] execs = {A, B, C, D, null};
    for (int trial = 0; trial < 2000; trial++) {
      int n = 1 + r.nextInt(40);
      int slots = 1 + r.nextInt(12);
      String[] at = new String[n];
      for (int p = 0; p < n; p++) at[p] = execs[r.nextInt(execs.length)];
      StreamGroups g = StreamGroups.plan(at, slots, 1 + r.nextInt(3));
      assertPartition(g, n);
      int tasks = Math.min(n, slots);
      assertTrue(g.size() <= tasks, g.size() + " groups for " + slots + " slots");
      int cap = (n + tasks - 1) / tasks;
      for (int[] m : g.members()) assertTrue(m.length <= cap, Arrays.deepToString(g.members()) + " over " + cap);
    }
  }

  @Test
  void noPartitionsOrNoSlots_isNamed() {
    assertEquals("0 partitions in 2 groups",
        assertThrows(IllegalArgumentException.class, () -> StreamGroups.plan(new String[0], 2, 1)).getMessage());
    assertEquals("3 partitions in 0 groups",
        assertThrows(IllegalArgumentException.class, () -> StreamGroups.plan(new String[3], 0, 1)).getMessage());
  }
}
