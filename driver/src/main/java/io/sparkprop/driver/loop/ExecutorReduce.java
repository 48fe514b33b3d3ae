package io.sparkprop.driver.loop;

import io.sparkprop.driver.data.CachedBlocksRDD;
import io.sparkprop.driver.data.SparkRdds;
import io.sparkprop.driver.failure.ExecutorFaults;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.Partition;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.network.buffer.ManagedBuffer;
import org.apache.spark.rdd.RDD;
import org.apache.spark.storage.BlockData;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.BlockManagerId;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.storage.StreamBlockId;
import org.apache.spark.util.io.ChunkedByteBuffer;
import scala.Option;
import scala.collection.Iterator;
import scala.collection.immutable.Seq;
import scala.reflect.ClassTag$;

/**
 * The gradient summed on the executors instead of on the driver: a reduce-scatter through
 * Spark's own block managers, as BigDL's AllReduceParameter does, with nothing outside Spark.
 *
 * <p>A step becomes two jobs. In the first, each partition's task computes its gradient as
 * always, cuts it into S contiguous slices (S = the partition count) and puts them into its
 * executor's block manager (memory only, not reported to the driver); its result is the loss
 * sums and where the slices are. In the second, task j fetches slice j of every partition (over
 * Spark's block transfer service, one request per executor, all in flight at once; its own from
 * its block manager), adds them in partition order
 * (the first copied, empty partitions skipped: the driver's {@link OrderedSum} exactly, so the
 * weights are bitwise those of the direct path) and returns its slice. The driver so receives one
 * gradient's bytes per step (plus the slices' framing), whatever the partition count; each
 * executor sends and receives about one gradient.
 *
 * <p>Failures: a lost executor takes its slices with it; the second job's task fails to fetch
 * them, and the driver runs the step again (the first job recomputes the lost partition from its
 * lineage, as Spark does). Slices of a step are dropped by the executor when it stores those of
 * a later step, and by {@link #release} at the end of a run.
 */
final class ExecutorReduce {
  /** Block ids this JVM stores, by run (stream id). */
  private static final Map<Integer, Set<StreamBlockId>> STORED = new ConcurrentHashMap<>();

  /** Part of the message of a task whose executor could not store its slices (the driver then adds that step itself). */
  static final String NO_ROOM = "could not store gradient slice";

  private ExecutorReduce() {}

  /** Block id of slice {@code slice} of partition {@code part}'s gradient at step {@code step} of run {@code run}. */
  static StreamBlockId blockId(int run, long step, int part, int slice) {
    // input-RUN-(step, part, slice): Spark's block-id parser takes non-negative numbers only
    return new StreamBlockId(run, ((step & 0x7FFFFF) << 40) | ((long) part << 20) | slice);
  }

  /** Start of slice j of n values cut into s slices. */
  static int sliceStart(int n, int s, int j) {
    return (int) ((long) n * j / s);
  }

  /**
   * Stores the slices of a partition's gradient in this executor's block manager, dropping the
   * run's slices of earlier steps; returns where they are: "host:port:executorId".
   */
  static String store(float[] grad, int run, long step, int part, int slices) {
    BlockManager bm = SparkEnv.get().blockManager();
    Set<StreamBlockId> mine = STORED.computeIfAbsent(run, r -> ConcurrentHashMap.newKeySet());
    long stepBits = step & 0x7FFFFF;
    for (StreamBlockId old : mine) {
      // any partition's slices of an earlier step: that step's reduce job has finished, since a
      // step's first job starts after the previous step's second; this also drops the slices of
      // partitions that have moved to another executor (whoever takes an id out of the set removes it)
      boolean earlier = (old.uniqueId() >>> 40) != stepBits;
      if (earlier && mine.remove(old)) bm.removeBlock(old, false);
    }
    for (int j = 0; j < slices; j++) {
      int from = sliceStart(grad.length, slices, j);
      int to = sliceStart(grad.length, slices, j + 1);
      ByteBuffer b = ByteBuffer.allocate(4 * (to - from)).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(grad, from, to - from);
      StreamBlockId id = blockId(run, step, part, j);
      if (bm.getStatus(id).isDefined()) bm.removeBlock(id, false); // a retried task stores again (the same values)
      if (!bm.putBytes(id, new ChunkedByteBuffer(b), StorageLevel.MEMORY_ONLY_SER(), false, ClassTag$.MODULE$.apply(byte[].class))) {
        for (int i = 0; i < j; i++) {
          StreamBlockId done = blockId(run, step, part, i);
          if (mine.remove(done)) bm.removeBlock(done, false);
        }
        throw new IllegalStateException("executor " + bm.blockManagerId().executorId() + " " + NO_ROOM + " " + id + " ("
            + 4 * (to - from) + " bytes) in its storage memory; the driver adds this step's gradients instead");
      }
      mine.add(id);
    }
    BlockManagerId me = bm.blockManagerId();
    return me.host() + ":" + me.port() + ":" + me.executorId();
  }

  /** Drops this JVM's slices of run {@code run}; returns how many. */
  static int drop(int run) {
    Set<StreamBlockId> mine = STORED.remove(run);
    if (mine == null) return 0;
    BlockManager bm = SparkEnv.get().blockManager();
    int n = 0;
    for (StreamBlockId id : mine) {
      if (bm.getStatus(id).isDefined()) {
        bm.removeBlock(id, false);
        n++;
      }
    }
    return n;
  }

  /** Where a location string points: executor-preferred task location. */
  static String taskLocation(String loc) {
    String[] f = loc.split(":");
    return "executor_" + f[0] + "_" + f[2];
  }

  /**
   * Slice j of every partition's gradient (null where a partition stored none): this executor's
   * from its block manager, the others' with one request per executor, all in flight at once.
   */
  private static FloatBuffer[] fetchAll(int run, long step, int j, String[] locations) {
    BlockManager bm = SparkEnv.get().blockManager();
    String me = bm.blockManagerId().executorId();
    FloatBuffer[] out = new FloatBuffer[locations.length];
    Map<String, List<Integer>> remote = new java.util.LinkedHashMap<>();
    for (int p = 0; p < locations.length; p++) {
      if (locations[p] == null) continue;
      String[] f = locations[p].split(":");
      if (!f[2].equals(me)) {
        remote.computeIfAbsent(locations[p], l -> new ArrayList<>()).add(p);
        continue;
      }
      StreamBlockId id = blockId(run, step, p, j);
      Option<BlockData> local = bm.getLocalBytes(id);
      if (local.isEmpty()) throw new IllegalStateException("gradient slice " + id + " is missing from executor " + me);
      out[p] = local.get().toByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer(); // read lock released at task end
    }
    int pending = remote.values().stream().mapToInt(List::size).sum();
    if (pending == 0) return out;
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(pending);
    java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
    for (Map.Entry<String, List<Integer>> e : remote.entrySet()) {
      String[] f = e.getKey().split(":");
      Map<String, Integer> byName = new java.util.HashMap<>();
      for (int p : e.getValue()) byName.put(blockId(run, step, p, j).name(), p);
      bm.blockTransferService().fetchBlocks(f[0], Integer.parseInt(f[1]), f[2], byName.keySet().toArray(new String[0]),
          new org.apache.spark.network.shuffle.BlockFetchingListener() {
            @Override
            public void onBlockFetchSuccess(String blockId, ManagedBuffer data) {
              try { // the buffer is released when this returns: copy the slice out
                ByteBuffer src = data.nioByteBuffer();
                ByteBuffer copy = ByteBuffer.allocate(src.remaining());
                copy.put(src).flip();
                out[byName.get(blockId)] = copy.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
              } catch (java.io.IOException | RuntimeException ex) {
                failed.compareAndSet(null, ex);
              } finally {
                done.countDown();
              }
            }

            @Override
            public void onBlockFetchFailure(String blockId, Throwable t) {
              failed.compareAndSet(null, t);
              done.countDown();
            }
          }, null);
    }
    try {
      if (!done.await(SparkEnv.get().conf().getTimeAsSeconds("spark.network.timeout", "120s"), java.util.concurrent.TimeUnit.SECONDS)) {
        throw new IllegalStateException("gradient slices of step " + step + " did not arrive within spark.network.timeout");
      }
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while fetching gradient slices", ex);
    }
    if (failed.get() != null) {
      throw new IllegalStateException("cannot fetch gradient slices of step " + step + ": " + failed.get().getMessage(), failed.get());
    }
    return out;
  }

  /**
   * The second job of a reduced step: one partition per slice; task j adds slice j of every
   * partition in partition order and returns it as little-endian floats (empty when no partition
   * held a member of the batch).
   */
  static final class SliceRDD extends RDD<byte[]> {
    private static final long serialVersionUID = 1L;
    private final int run;
    private final long step;
    private final String[] locations; // per partition; null: nothing stored (no members)
    private final int n;

    SliceRDD(SparkContext sc, int run, long step, String[] locations, int n) {
      super(sc, CachedBlocksRDD.emptyDeps(), ClassTag$.MODULE$.apply(byte[].class));
      this.run = run;
      this.step = step;
      this.locations = locations;
      this.n = n;
    }

    @Override
    public Iterator<byte[]> compute(Partition split, TaskContext context) {
      int j = split.index();
      int s = locations.length;
      int from = sliceStart(n, s, j);
      int len = sliceStart(n, s, j + 1) - from;
      float[] sum = null;
      ExecutorFaults.point(ExecutorFaults.REDUCE, step);
      FloatBuffer[] slices = fetchAll(run, step, j, locations);
      for (int p = 0; p < s; p++) {
        if (locations[p] == null) continue;
        FloatBuffer h = slices[p];
        if (h.remaining() != len) throw new IllegalStateException("gradient slice holds " + h.remaining() + " values, expected " + len);
        if (sum == null) {
          sum = new float[len];
          h.get(sum);
        } else {
          for (int i = 0; i < len; i++) sum[i] += h.get(i);
        }
      }
      byte[] out = new byte[sum == null ? 0 : 4 * len];
      if (sum != null) ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(sum);
      return SparkRdds.one(out);
    }

    @Override
    public Partition[] getPartitions() {
      return SparkRdds.indexed(locations.length);
    }

    @Override
    public Seq<String> getPreferredLocations(Partition split) {
      String loc = locations[split.index()];
      return SparkRdds.seq(loc == null ? List.of() : List.of(taskLocation(loc)));
    }
  }

  /** Drops a run's slices on the executors that stored them (one task per location, placed there). */
  static void release(SparkContext sc, int run, String[] locations) {
    List<Seq<String>> where = new ArrayList<>();
    for (String l : new java.util.LinkedHashSet<>(java.util.Arrays.asList(locations))) {
      if (l != null) where.add(SparkRdds.seq(List.of(taskLocation(l))));
    }
    SparkRdds.cleanUp(sc, where, () -> drop(run), "gradient slice of run " + run);
  }

  /** The second job of a reduced step: the summed slices, into the driver's gradient buffer. */
  static float[] reduceSlices(org.apache.spark.api.java.JavaSparkContext sc, String runName, int reduceRun, long t,
      String[] locations, float[] gradSum, Seq<Object> stepPartitions) {
    sc.setJobDescription(runName + ": reduce step " + t + " on the executors");
    ExecutorReduce.SliceRDD slices = new SliceRDD(sc.sc(), reduceRun, t, locations, gradSum.length);
    int[] filled = new int[1];
    sc.sc().runJob(slices, new SliceBytes(), stepPartitions, new scala.runtime.AbstractFunction2<Object, byte[], scala.runtime.BoxedUnit>() {
      @Override
      public scala.runtime.BoxedUnit apply(Object part, byte[] b) {
        int j = (Integer) part;
        int from = sliceStart(gradSum.length, locations.length, j);
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(gradSum, from, b.length / 4);
        synchronized (filled) {
          filled[0] += b.length / 4;
        }
        return scala.runtime.BoxedUnit.UNIT;
      }
    }, ClassTag$.MODULE$.apply(byte[].class));
    if (filled[0] != gradSum.length) throw new IllegalStateException("the reduce returned " + filled[0] + " of " + gradSum.length + " values");
    return gradSum;
  }

  /** The slice a reduce task computed (its partition's only element). */
  private static final class SliceBytes extends scala.runtime.AbstractFunction2<TaskContext, Iterator<byte[]>, byte[]>
      implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] apply(TaskContext ctx, Iterator<byte[]> it) {
      return it.next();
    }
  }
}
