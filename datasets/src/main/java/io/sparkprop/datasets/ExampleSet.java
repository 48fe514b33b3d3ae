package io.sparkprop.datasets;

import io.sparkprop.trainer.data.Examples;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.util.LongAccumulator;

/**
 * A distributed data set of training examples, as a reader or generator produces it: an RDD of
 * {@link Examples} blocks (any number per partition; their ids are not yet assigned) plus the
 * shape every block shares. The driver packs it into one block per partition with stable ids.
 *
 * @param blocks the examples; every block has {@code features} columns and {@code targetWidth} targets
 * @param features feature count
 * @param targetWidth target width (1 for a class index)
 * @param description where the data came from, for logs and model provenance
 * @param dropped counts rows skipped under {@link BadRows#DROP} once the blocks have been
 *     computed (null for sources that never drop); a retried task may count its rows twice
 */
public record ExampleSet(JavaRDD<Examples> blocks, int features, int targetWidth, String description,
    LongAccumulator dropped) {
  public ExampleSet {
    Objects.requireNonNull(blocks, "blocks");
    Objects.requireNonNull(description, "description");
    if (features < 1) throw new IllegalArgumentException("feature count must be >= 1, got " + features);
    if (targetWidth < 1) throw new IllegalArgumentException("target width must be >= 1, got " + targetWidth);
  }

  public ExampleSet(JavaRDD<Examples> blocks, int features, int targetWidth, String description) {
    this(blocks, features, targetWidth, description, null);
  }

  /** Rows dropped so far (0 when nothing could be dropped). */
  public long droppedRows() {
    return dropped == null ? 0 : dropped.value();
  }

  /** The same set with its blocks transformed (shape unchanged). */
  public ExampleSet withBlocks(JavaRDD<Examples> b, String newDescription) {
    return new ExampleSet(b, features, targetWidth, newDescription, dropped);
  }
}
