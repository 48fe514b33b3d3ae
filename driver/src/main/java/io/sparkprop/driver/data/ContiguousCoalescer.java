package io.sparkprop.driver.data;

import java.io.Serializable;
import org.apache.spark.Partition;
import org.apache.spark.rdd.PartitionCoalescer;
import org.apache.spark.rdd.PartitionGroup;
import org.apache.spark.rdd.RDD;
import scala.Option;

/**
 * Groups partitions 0..P-1 into ceil(P / size) groups of {@code size} consecutive partitions, in
 * order, so that a coalesced partition's iterator yields its parents' rows in id order. Spark's
 * default coalescer groups by location and balance, which would reorder blocks.
 */
final class ContiguousCoalescer implements PartitionCoalescer, Serializable {
  private static final long serialVersionUID = 1L;
  private final int size;

  ContiguousCoalescer(int size) {
    if (size < 1) throw new IllegalArgumentException("group size must be >= 1, got " + size);
    this.size = size;
  }

  @Override
  public PartitionGroup[] coalesce(int maxPartitions, RDD<?> parent) {
    Partition[] parts = parent.partitions();
    int groups = (parts.length + size - 1) / size;
    PartitionGroup[] out = new PartitionGroup[groups];
    for (int g = 0; g < groups; g++) {
      out[g] = new PartitionGroup(Option.empty());
      for (int p = g * size; p < Math.min(parts.length, (g + 1) * size); p++) out[g].partitions().addOne(parts[p]);
    }
    return out;
  }
}
