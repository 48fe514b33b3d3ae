package io.sparkprop.driver.data;

import io.sparkprop.trainer.data.RowSource;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.Partition;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.BlockResult;
import org.apache.spark.storage.RDDBlockId;
import org.apache.spark.storage.StorageLevel;
import scala.Option;
import scala.collection.Iterator;
import scala.collection.immutable.Seq;
import scala.reflect.ClassTag$;
import scala.reflect.ClassTag;

/**
 * The per-step view of data packed to local files ({@link Placement#DISK}): an RDD without
 * parents whose task finds its partition's {@link PackedFile} handle in the executor's own block
 * store and yields the memory-mapped file ({@link LocalPackedFiles#map}) with the partition's
 * first example id. As with {@link CachedBlocksRDD}, the handles' lineage travels once, as a
 * broadcast.
 *
 * <p>A handle is only ever read locally: a handle fetched from another executor would name a file
 * on another machine. When this executor has none (it replaced a lost one, or the scheduler put
 * the task elsewhere), the task packs the partition again from the source into a local file
 * and registers the new handle with the block manager (so the driver's preferred locations
 * follow it), as Spark recomputes a lost cache block.
 *
 * <p>Its partitions group {@code t} consecutive handles (blocks), as the in-memory layout groups
 * blocks for one task per executor: a task yields its blocks' files in block order and the step
 * runs one thread per block. Grouping only makes sense where one executor holds the group's files:
 * local mode (t = every block) or one task per executor's slots.
 */
final class LocalFilesRDD extends RDD<RowSource> {
  private static final long serialVersionUID = 1L;
  private static final ClassTag<RowSource> TAG = ClassTag$.MODULE$.apply(RowSource.class);
  private static final ClassTag<PackedFile> HANDLE_TAG = ClassTag$.MODULE$.apply(PackedFile.class);

  private final int handlesId;
  private final Broadcast<byte[]> lineage;
  private final long[] firstIds;
  private final int perGroup;
  private final transient RDD<PackedFile> handles; // driver only: for partitions and preferred locations

  /**
   * @param handles the cached, materialized handles RDD (one handle per partition)
   * @param firstIds first example id of each partition
   * @param perGroup handles (blocks) per partition of this RDD, >= 1
   */
  LocalFilesRDD(RDD<PackedFile> handles, long[] firstIds, int perGroup) {
    super(handles.context(), CachedBlocksRDD.emptyDeps(), TAG);
    if (perGroup < 1) throw new IllegalArgumentException("blocks per partition must be >= 1, got " + perGroup);
    this.handles = handles;
    this.handlesId = handles.id();
    this.firstIds = firstIds.clone();
    this.perGroup = perGroup;
    this.lineage = CachedBlocksRDD.broadcastLineage(handles);
  }

  @Override
  public Iterator<RowSource> compute(Partition split, TaskContext context) {
    List<RowSource> out = new ArrayList<>(perGroup);
    for (SparkRdds.Part p : ((Group) split).members) {
      out.add(LocalPackedFiles.map(localHandle(p, context)).withFirstId(p.firstId));
    }
    return scala.jdk.javaapi.CollectionConverters.asScala(out.iterator());
  }

  /** A partition of this RDD: its blocks, in order. */
  static final class Group extends SparkRdds.Indexed {
    private static final long serialVersionUID = 1L;
    final SparkRdds.Part[] members;

    Group(int index, SparkRdds.Part[] members) {
      super(index);
      this.members = members;
    }
  }

  private PackedFile localHandle(SparkRdds.Part p, TaskContext context) {
    BlockManager bm = SparkEnv.get().blockManager();
    RDDBlockId id = new RDDBlockId(handlesId, p.index());
    Option<BlockResult> hit = bm.getLocalValues(id);
    if (hit.isDefined()) {
      Iterator<Object> it = hit.get().data();
      PackedFile h = (PackedFile) it.next();
      it.hasNext(); // completes the iterator: releases the block's read lock
      if (LocalPackedFiles.isLocal(h)) return h;
      throw new IllegalStateException("packed file " + h.path() + " of partition " + p.index() + " is missing from executor "
          + h.executorId() + "'s local directory; something other than Spark deleted it");
    }
    // no handle here: pack the partition again from the source, into a local file
    RDD<PackedFile> original = CachedBlocksRDD.readLineage(lineage);
    Iterator<PackedFile> fresh = original.compute(p.parent, context);
    PackedFile h = fresh.next();
    if (h.problem() != null) throw new IllegalStateException(h.problem());
    bm.putSingle(id, h, StorageLevel.MEMORY_AND_DISK(), true, HANDLE_TAG);
    return h;
  }

  @Override
  public Partition[] getPartitions() {
    Partition[] parts = handles.partitions();
    Partition[] out = new Partition[(parts.length + perGroup - 1) / perGroup];
    for (int g = 0; g < out.length; g++) {
      int from = g * perGroup;
      SparkRdds.Part[] members = new SparkRdds.Part[Math.min(perGroup, parts.length - from)];
      for (int i = 0; i < members.length; i++) members[i] = new SparkRdds.Part(from + i, parts[from + i], firstIds[from + i]);
      out[g] = new Group(g, members);
    }
    return out;
  }

  @Override
  public Seq<String> getPreferredLocations(Partition split) {
    return SparkRdds.cacheLocations(handles, ((Group) split).members[0].index()); // a group's files live together
  }

  /** The id of the cached handles RDD (tests drop its blocks to act out a lost executor). */
  int handlesId() {
    return handlesId;
  }

  /** Releases the broadcast lineage. */
  void release() {
    lineage.destroy();
  }

  /**
   * Deletes the files of data set {@code key}: one task per partition, each preferring the
   * executors that hold the partition's handle, deletes every file of the set in its JVM; then the
   * driver's own (local mode). An executor that is gone took its files with it.
   */
  static void deleteFiles(RDD<PackedFile> handles, String key) {
    List<Seq<String>> where = new ArrayList<>();
    for (int p = 0; p < handles.getNumPartitions(); p++) where.add(SparkRdds.cacheLocations(handles, p));
    SparkRdds.cleanUp(handles.context(), where, () -> LocalPackedFiles.delete(key), "packed file of " + key);
  }
}
