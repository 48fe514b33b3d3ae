package io.sparkprop.datasets;

import io.sparkprop.trainer.data.Examples;
import java.util.ArrayList;
import java.util.List;

/**
 * A seeded random train/validation split: a row goes to validation when a hash of (seed,
 * partition, position in the partition) falls below the fraction. The assignment is a pure
 * function of the input's partitioning, so recomputed partitions split identically.
 */
public final class Splits {
  private Splits() {}

  /** {train, validation}; fraction in (0, 1) goes to validation. */
  public static ExampleSet[] trainValidation(ExampleSet set, double fraction, long seed) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + fraction);
    }
    return new ExampleSet[] {part(set, fraction, seed, false, "train"), part(set, fraction, seed, true, "validation")};
  }

  private static ExampleSet part(ExampleSet set, double fraction, long seed, boolean validation, String name) {
    int d = set.features();
    int tw = set.targetWidth();
    return set.withBlocks(Rdds.mapPartitions(set.blocks(), true, (p, it) -> {
      List<Examples> in = new ArrayList<>();
      it.forEachRemaining(in::add);
      if (in.isEmpty()) return List.of(Examples.empty(0, d, tw)).iterator();
      // count this side's rows first, so that the block is allocated once at its size (growing
      // by doubling allocated and copied about three times a training block's bytes)
      int count = 0;
      long pos = 0;
      for (Examples e : in) {
        for (int r = 0; r < e.rows(); r++, pos++) if (toValidation(seed, p, pos, fraction) == validation) count++;
      }
      BlockBuilder b = new BlockBuilder(d, tw, in.get(0).w() != null, count);
      pos = 0;
      for (Examples e : in) {
        for (int r = 0; r < e.rows(); r++, pos++) {
          if (toValidation(seed, p, pos, fraction) != validation) continue;
          int row = b.addRow();
          System.arraycopy(e.x(), r * d, b.x(), row * d, d);
          System.arraycopy(e.y(), r * tw, b.y(), row * tw, tw);
          if (b.w() != null) b.w()[row] = e.w() == null ? 1f : e.w()[r];
        }
      }
      return List.of(b.build()).iterator();
    }), set.description() + " (" + name + " split, seed " + seed + ")");
  }

  /** Whether row {@code pos} of partition {@code p} goes to validation. */
  private static boolean toValidation(long seed, int p, long pos, double fraction) {
    long h = mix(seed ^ mix(((long) p << 40) + pos));
    return (h >>> 11) * 0x1.0p-53 < fraction;
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
