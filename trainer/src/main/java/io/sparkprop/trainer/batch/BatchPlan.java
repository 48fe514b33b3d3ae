package io.sparkprop.trainer.batch;

import java.io.Serializable;

/**
 * The definition of minibatch k of epoch e: a pure function of (seed, epoch, example id).
 *
 * <p>Each epoch e shuffles the ids [0, N) by a keyed bijection pi_e (a balanced Feistel network
 * on 2h bits, 4^h >= N, made a bijection of [0, N) by cycle walking). Example {@code id} sits at
 * position pi_e(id); batch k holds positions [kB, min((k+1)B, N)), in position order. So every
 * example is used exactly once per epoch, every batch but the last holds exactly B examples, and
 * the last holds the rest (or, with {@code dropLast}, is skipped when short).
 *
 * <p>Both directions cost O(1) expected per example (cycle walking takes fewer than 4 rounds of
 * the permutation on average). A Spark partition holding the contiguous ids [lo, hi) finds its
 * share of batch k by inverting the B positions of the batch ({@link #members}): O(B) per step,
 * independent of the partition's size and of how the data is partitioned.
 */
public final class BatchPlan implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int ROUNDS = 6;

  private final long n;
  private final int batchSize;
  private final boolean dropLast;
  private final long seed;
  private final int halfBits;
  private final long mask;

  /**
   * @param n number of examples, >= 1
   * @param batchSize B, >= 1
   * @param dropLast skip a final batch shorter than B (if N < B with dropLast, that is an error)
   * @param seed the shuffle seed
   */
  public BatchPlan(long n, int batchSize, boolean dropLast, long seed) {
    if (n < 1) throw new IllegalArgumentException("cannot batch " + n + " examples; the data set is empty");
    if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    if (dropLast && n < batchSize) {
      throw new IllegalArgumentException("drop-last with batch size " + batchSize + " and only " + n
          + " examples leaves no batch; lower the batch size or keep the last batch");
    }
    this.n = n;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.seed = seed;
    int bits = 64 - Long.numberOfLeadingZeros(Math.max(1, n - 1));
    this.halfBits = Math.max(1, (bits + 1) / 2);
    this.mask = (1L << halfBits) - 1;
  }

  public long size() { return n; }
  public int batchSize() { return batchSize; }
  public boolean dropLast() { return dropLast; }
  public long seed() { return seed; }

  /** Number of steps (batches) in every epoch. */
  public int stepsPerEpoch() {
    long s = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    if (s > Integer.MAX_VALUE) throw new IllegalStateException(s + " batches per epoch");
    return (int) s;
  }

  /** Number of examples in batch k. */
  public int batchLength(int k) {
    checkBatch(k);
    return (int) Math.min(batchSize, n - (long) k * batchSize);
  }

  /** The position of example {@code id} in epoch {@code epoch}'s order. */
  public long position(int epoch, long id) {
    checkId(id);
    long key = key(epoch);
    long p = permute(key, id);
    while (p >= n) p = permute(key, p);
    return p;
  }

  /** The example at {@code position} in epoch {@code epoch}'s order (inverse of {@link #position}). */
  public long exampleAt(int epoch, long position) {
    checkId(position);
    long key = key(epoch);
    long x = unpermute(key, position);
    while (x >= n) x = unpermute(key, x);
    return x;
  }

  /** The batch holding example {@code id} in {@code epoch}, or -1 if it falls in a dropped tail. */
  public int batchOf(int epoch, long id) {
    long k = position(epoch, id) / batchSize;
    return k < stepsPerEpoch() ? (int) k : -1;
  }

  /**
   * Writes into {@code out} the local indices (id - lo) of the members of batch k with ids in
   * [lo, hi), in position order, and returns how many there are.
   *
   * @param out at least {@code batchLength(k)} long (or at least hi - lo)
   */
  public int members(int epoch, int k, long lo, long hi, int[] out) {
    checkBatch(k);
    if (lo < 0 || hi < lo) throw new IllegalArgumentException("bad id range [" + lo + ", " + hi + ")");
    long key = key(epoch);
    long from = (long) k * batchSize;
    long to = Math.min(from + batchSize, n);
    int c = 0;
    if (hi == lo) return 0;
    for (long p = from; p < to; p++) {
      long x = unpermute(key, p);
      while (x >= n) x = unpermute(key, x);
      if (x >= lo && x < hi) out[c++] = (int) (x - lo);
    }
    return c;
  }

  private long key(int epoch) {
    if (epoch < 0) throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
    return mix(seed ^ mix(0x5EEDL + epoch));
  }

  private long permute(long key, long x) {
    long l = x >>> halfBits;
    long r = x & mask;
    for (int i = 0; i < ROUNDS; i++) {
      long t = l ^ round(key, i, r);
      l = r;
      r = t;
    }
    return (l << halfBits) | r;
  }

  private long unpermute(long key, long y) {
    long l = y >>> halfBits;
    long r = y & mask;
    for (int i = ROUNDS - 1; i >= 0; i--) {
      long t = r ^ round(key, i, l);
      r = l;
      l = t;
    }
    return (l << halfBits) | r;
  }

  private long round(long key, int i, long half) {
    return mix(key + 0x9E3779B97F4A7C15L * (i + 1) + half) & mask;
  }

  /** SplitMix64's finaliser: a strong 64-bit mixer. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private void checkId(long id) {
    if (id < 0 || id >= n) throw new IllegalArgumentException("example id " + id + " outside [0, " + n + ")");
  }

  private void checkBatch(int k) {
    if (k < 0 || k >= stepsPerEpoch()) {
      throw new IllegalArgumentException("batch " + k + " outside [0, " + stepsPerEpoch() + ")");
    }
  }
}
