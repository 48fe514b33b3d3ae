package io.sparkprop.driver.data;

import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.data.RowSource;
import java.nio.ByteBuffer;
import org.apache.spark.Partition;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.storage.BlockResult;
import org.apache.spark.storage.RDDBlockId;
import scala.Option;
import scala.collection.Iterator;
import scala.collection.immutable.Seq;
import scala.reflect.ClassTag$;
import scala.reflect.ClassTag;

/**
 * The packed, cached training data as the per-step jobs see it: an RDD with no parents whose
 * tasks read their partition's cached block straight from the executor's BlockManager. The
 * packed RDD's lineage (readers, parsers, a Hadoop Configuration, a SQL plan) does not travel
 * with every step's task binary, as it would if the step ran on the cached RDD itself; it is
 * broadcast once, serialized, and deserialized only by a task whose block is missing (an
 * executor was lost, or the block was evicted), which then recomputes the block from the source
 * through the original RDD, caching it again at its storage level. So a step ships a few
 * hundred bytes of RDD whatever the source, and recovery behaves as Spark's own.
 *
 * <p>Preferred locations are where the blocks are cached, so tasks run next to their data.
 */
public final class CachedBlocksRDD extends RDD<RowSource> {
  private static final long serialVersionUID = 1L;
  private static final ClassTag<RowSource> TAG = ClassTag$.MODULE$.apply(RowSource.class);
  private static final ClassTag<Examples> BLOCK_TAG = ClassTag$.MODULE$.apply(Examples.class);

  private final int parentId;
  private final Broadcast<byte[]> lineage;
  private final int partitionCount;
  private final transient RDD<Examples> parent; // driver only: for preferred locations

  /** @param parent the cached, materialized packed RDD */
  CachedBlocksRDD(RDD<Examples> parent) {
    super(parent.context(), emptyDeps(), TAG);
    this.parent = parent;
    this.parentId = parent.id();
    this.partitionCount = parent.getNumPartitions();
    this.lineage = broadcastLineage(parent);
  }

  /** An RDD with its lineage, serialized once and broadcast. */
  static Broadcast<byte[]> broadcastLineage(RDD<?> rdd) {
    ByteBuffer bytes = SparkEnv.get().closureSerializer().newInstance().serialize(rdd, ClassTag$.MODULE$.apply(RDD.class));
    byte[] b = new byte[bytes.remaining()];
    bytes.get(b);
    return rdd.context().broadcast(b, ClassTag$.MODULE$.apply(byte[].class));
  }

  /** The RDD {@link #broadcastLineage} sent, deserialized on an executor. */
  static <T> RDD<T> readLineage(Broadcast<byte[]> lineage) {
    return SparkEnv.get().closureSerializer().newInstance().deserialize(ByteBuffer.wrap(lineage.value()),
        Thread.currentThread().getContextClassLoader(), ClassTag$.MODULE$.apply(RDD.class));
  }

  @SuppressWarnings("unchecked")
  public static Seq<org.apache.spark.Dependency<?>> emptyDeps() {
    return (Seq<org.apache.spark.Dependency<?>>) (Seq<?>) scala.collection.immutable.Nil$.MODULE$;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Iterator<RowSource> compute(Partition split, TaskContext context) {
    SparkRdds.Part p = (SparkRdds.Part) split;
    Option<BlockResult> hit = SparkEnv.get().blockManager().get(new RDDBlockId(parentId, p.index()), BLOCK_TAG);
    if (hit.isDefined()) return (Iterator<RowSource>) (Iterator<?>) hit.get().data();
    // the block is gone: rebuild the original RDD and let it recompute (and re-cache) this partition
    RDD<Examples> original = readLineage(lineage);
    return (Iterator<RowSource>) (Iterator<?>) original.iterator(p.parent, context);
  }

  @Override
  public Partition[] getPartitions() {
    Partition[] parts = parent.partitions();
    Partition[] out = new Partition[partitionCount];
    for (int i = 0; i < partitionCount; i++) out[i] = new SparkRdds.Part(i, parts[i], 0);
    return out;
  }

  @Override
  public Seq<String> getPreferredLocations(Partition split) {
    return SparkRdds.cacheLocations(parent, split.index());
  }

  /** Releases the broadcast lineage (the cached blocks belong to the parent). */
  void release() {
    lineage.destroy();
  }
}
