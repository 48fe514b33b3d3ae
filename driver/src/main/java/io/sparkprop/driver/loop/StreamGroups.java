package io.sparkprop.driver.loop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which partitions each task of a {@link StepStream} computes. A stream's tasks all run at once,
 * so where the training set has more partitions than the cluster has task slots a task takes
 * several; it computes them one after another and answers for each partition separately, so
 * that the driver's sum, in partition order, is the same bits whatever the grouping.
 *
 * <p>A task reads its partitions' blocks every step, so a group keeps to the partitions cached on
 * one executor (its {@code location}, Spark's {@code executor_HOST_ID} form, which the scheduler
 * honours), at most {@code slotsPerExecutor} groups on one executor, and no group holds more than
 * {@code ceil(partitions / groups)} partitions: a step waits for the largest group. Partitions
 * that do not fit where they are cached (or are not cached) fill the groups with the most room;
 * their blocks are fetched once, when the stream starts.
 *
 * @param members each group's partitions, ascending; groups ordered by their first partition
 * @param locations each group's preferred location, or null for none
 */
record StreamGroups(int[][] members, String[] locations) implements java.io.Serializable {

  /** The number of tasks. */
  int size() {
    return members.length;
  }

  /** For each partition, the group that computes it. */
  int[] groupOf(int partitions) {
    int[] g = new int[partitions];
    for (int i = 0; i < members.length; i++) for (int p : members[i]) g[p] = i;
    return g;
  }

  /**
   * Plans at most {@code groups} groups for partitions cached at {@code cachedAt} (one entry per
   * partition: its executor location, or null when it is not cached).
   */
  static StreamGroups plan(String[] cachedAt, int groups, int slotsPerExecutor) {
    int n = cachedAt.length;
    if (n == 0 || groups < 1) throw new IllegalArgumentException(n + " partitions in " + groups + " groups");
    int g = Math.min(groups, n);
    int cap = (n + g - 1) / g;
    List<List<Integer>> members = new ArrayList<>();
    List<String> where = new ArrayList<>();
    Map<String, List<Integer>> byLocation = new LinkedHashMap<>();
    List<Integer> left = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      if (cachedAt[p] == null) left.add(p);
      else byLocation.computeIfAbsent(cachedAt[p], k -> new ArrayList<>()).add(p);
    }
    for (Map.Entry<String, List<Integer>> e : byLocation.entrySet()) {
      int opened = 0;
      List<Integer> current = null;
      for (int p : e.getValue()) {
        if (current == null || current.size() == cap) {
          current = null;
          if (opened < Math.max(1, slotsPerExecutor) && members.size() < g) {
            current = new ArrayList<>();
            members.add(current);
            where.add(e.getKey());
            opened++;
          }
        }
        if (current != null) current.add(p);
        else left.add(p);
      }
    }
    left.sort(null);
    for (int p : left) {
      List<Integer> target = null;
      if (members.size() < g) {
        target = new ArrayList<>();
        members.add(target);
        where.add(null);
      } else {
        for (List<Integer> m : members) if (m.size() < cap && (target == null || m.size() < target.size())) target = m;
      }
      target.add(p);
    }
    int[][] out = new int[members.size()][];
    String[] loc = new String[members.size()];
    Integer[] order = new Integer[members.size()];
    for (int i = 0; i < order.length; i++) {
      members.get(i).sort(null);
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Integer.compare(members.get(a).get(0), members.get(b).get(0)));
    for (int i = 0; i < order.length; i++) {
      out[i] = members.get(order[i]).stream().mapToInt(Integer::intValue).toArray();
      loc[i] = where.get(order[i]);
    }
    return new StreamGroups(out, loc);
  }
}
