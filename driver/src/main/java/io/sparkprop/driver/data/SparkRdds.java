package io.sparkprop.driver.data;

import io.sparkprop.driver.failure.JobFailures;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.Partition;
import org.apache.spark.rdd.RDD;
import org.apache.spark.scheduler.TaskLocation;
import scala.collection.Iterator;
import scala.collection.immutable.Seq;
import scala.reflect.ClassTag$;

/** What the parentless RDDs of this package share: their partitions and where they prefer to run. */
public final class SparkRdds {
  private SparkRdds() {}

  /** A partition known by its index alone: equal to another of the same class and index. */
  abstract static class Indexed implements Partition {
    private static final long serialVersionUID = 1L;
    private final int index;

    Indexed(int index) {
      this.index = index;
    }

    @Override
    public final int index() {
      return index;
    }

    @Override
    public final int hashCode() {
      return index;
    }

    @Override
    public final boolean equals(Object o) {
      return o != null && o.getClass() == getClass() && ((Indexed) o).index == index;
    }
  }

  /** Partition {@code index} of a parentless RDD, holding its parent's partition (for recomputation) and its first example id. */
  static final class Part extends Indexed {
    private static final long serialVersionUID = 1L;
    final Partition parent;
    final long firstId;

    Part(int index, Partition parent, long firstId) {
      super(index);
      this.parent = parent;
      this.firstId = firstId;
    }
  }

  /** Partitions 0..n-1 with nothing but their index. */
  public static Partition[] indexed(int n) {
    Partition[] out = new Partition[n];
    for (int i = 0; i < n; i++) out[i] = new Part(i, null, 0);
    return out;
  }

  /** Where partition {@code index} of {@code rdd} is cached (its executors), as preferred locations. */
  static Seq<String> cacheLocations(RDD<?> rdd, int index) {
    List<String> hosts = new ArrayList<>();
    scala.collection.Iterator<TaskLocation> it = rdd.context().getPreferredLocs(rdd, index).iterator();
    while (it.hasNext()) hosts.add(it.next().toString());
    return seq(hosts);
  }

  public static Seq<String> seq(List<String> l) {
    return scala.jdk.javaapi.CollectionConverters.asScala(l).toList();
  }

  /** A cleanup that runs on an executor: returns how many things it removed. */
  public interface Cleanup extends java.io.Serializable {
    int run();
  }

  /**
   * Runs {@code cleanup} once per entry of {@code where}, each task preferring that entry's
   * locations (the executors holding what is to be removed), and then in the driver's own JVM
   * (local mode). A failed job (an executor lost, the context stopping) is logged: executors that
   * are gone took their files and blocks with them.
   */
  public static void cleanUp(org.apache.spark.SparkContext sc, List<Seq<String>> where, Cleanup cleanup, String what) {
    if (!where.isEmpty()) {
      try {
        io.sparkprop.datasets.Rdds.collect(org.apache.spark.api.java.JavaRDD.fromRDD(new CleanupRDD(sc, where, cleanup),
            scala.reflect.ClassTag$.MODULE$.apply(Integer.class)));
      } catch (Exception e) { // SparkException included: a cleanup never fails the run it cleans up after
        org.slf4j.LoggerFactory.getLogger(SparkRdds.class).warn("could not remove every {}: {}", what, JobFailures.summary(e));
      }
    }
    cleanup.run();
  }

  private static final class CleanupRDD extends RDD<Integer> {
    private static final long serialVersionUID = 1L;
    private final Cleanup cleanup;
    private final int tasks;
    private final transient List<Seq<String>> where;

    CleanupRDD(org.apache.spark.SparkContext sc, List<Seq<String>> where, Cleanup cleanup) {
      super(sc, CachedBlocksRDD.emptyDeps(), scala.reflect.ClassTag$.MODULE$.apply(Integer.class));
      this.where = where;
      this.tasks = where.size();
      this.cleanup = cleanup;
    }

    @Override
    public Iterator<Integer> compute(Partition split, org.apache.spark.TaskContext context) {
      return one(cleanup.run());
    }

    @Override
    public Partition[] getPartitions() {
      return indexed(tasks);
    }

    @Override
    public Seq<String> getPreferredLocations(Partition split) {
      return where.get(split.index());
    }
  }

  /** An iterator over one value (a partition's only element). */
  public static <T> Iterator<T> one(T value) {
    return scala.jdk.javaapi.CollectionConverters.asScala(List.of(value).iterator());
  }
}
