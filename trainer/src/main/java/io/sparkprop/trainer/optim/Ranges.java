package io.sparkprop.trainer.optim;

/**
 * Runs an elementwise pass over {@code [0, n)} as contiguous ranges, possibly on several threads
 * at once. Every element is computed by exactly the same operations whichever range and thread
 * take it, so a pass split into ranges is bitwise the pass in one piece.
 */
@FunctionalInterface
public interface Ranges {
  /** The work on one range {@code [from, to)}. */
  @FunctionalInterface
  interface Task {
    void run(int from, int to);
  }

  /** Runs {@code task} over ranges that together cover {@code [0, n)} exactly once; returns when every range is done. */
  void run(int n, Task task);

  /** One range on the calling thread. */
  Ranges SERIAL = (n, task) -> task.run(0, n);
}
