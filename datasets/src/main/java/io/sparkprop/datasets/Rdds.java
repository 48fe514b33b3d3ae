package io.sparkprop.datasets;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partition;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.rdd.RDD;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * map, flatMap, mapPartitions and collect for the data path, handing Spark no Scala closure.
 *
 * <p>Spark's {@code ClosureCleaner} reads the bytecode of the class that declared every Scala
 * closure it is given, to refuse return statements: JavaRDD wraps each Java function in a Scala
 * closure declared in JavaRDD's classes, and RDD's map, collect and count add their own, declared
 * in RDD (a class of 100 KB of bytecode). Loading Fashion-MNIST through JavaRDD's methods cleaned
 * 41 closures; in a fresh JVM the parsing ran interpreted at first and then kept a JIT compiler
 * thread busy for about a second of one of the two cores, while the data loaded and into the first
 * epoch. Here a Java function runs inside an RDD of our own ({@link #mapPartitions}), and
 * {@link #collect} runs a named function, which the cleaner recognises as no closure at once.
 * Java functions are serialized as they are (Java lambdas capture only what they use).
 */
public final class Rdds {
  private Rdds() {}

  private static final ClassTag<Object> OBJECT = ClassTag$.MODULE$.apply(Object.class);

  /** What a task does with its partition: the partition's index and elements in, elements out. */
  @FunctionalInterface
  public interface PartitionFunction<T, U> extends Serializable {
    Iterator<U> call(int partition, Iterator<T> elements) throws Exception;
  }

  /**
   * {@code f} over every partition of {@code rdd}, as {@code JavaRDD.mapPartitionsWithIndex}.
   *
   * @param preservesPartitioning whether {@code f} keeps the keys of a keyed parent (its partitioner carries over)
   */
  public static <T, U> JavaRDD<U> mapPartitions(JavaRDD<T> rdd, boolean preservesPartitioning, PartitionFunction<T, U> f) {
    @SuppressWarnings("unchecked")
    RDD<Object> parent = (RDD<Object>) (RDD<?>) rdd.rdd();
    @SuppressWarnings("unchecked")
    ClassTag<U> tag = (ClassTag<U>) (ClassTag<?>) OBJECT;
    return new JavaRDD<>(new PartitionsRDD<>(parent, f, preservesPartitioning), tag);
  }

  /** {@code f} of every element, as {@code JavaRDD.map}. */
  public static <T, U> JavaRDD<U> map(JavaRDD<T> rdd, Function<T, U> f) {
    return mapPartitions(rdd, false, (p, it) -> new Iterator<U>() {
      @Override public boolean hasNext() { return it.hasNext(); }
      @Override public U next() {
        try {
          return f.call(it.next());
        } catch (Exception e) {
          throw sneaky(e);
        }
      }
    });
  }

  /** The elements of {@code f} of every element, as {@code JavaRDD.flatMap}. */
  public static <T, U> JavaRDD<U> flatMap(JavaRDD<T> rdd, FlatMapFunction<T, U> f) {
    return mapPartitions(rdd, false, (p, it) -> new Iterator<U>() {
      private Iterator<U> current = java.util.Collections.emptyIterator();

      @Override public boolean hasNext() {
        while (!current.hasNext() && it.hasNext()) {
          try {
            current = f.call(it.next());
          } catch (Exception e) {
            throw sneaky(e);
          }
        }
        return current.hasNext();
      }

      @Override public U next() {
        if (!hasNext()) throw new java.util.NoSuchElementException();
        return current.next();
      }
    });
  }

  /** Every element of {@code rdd}, in partition order, as {@code JavaRDD.collect}: one job. */
  public static <T> List<T> collect(JavaRDD<T> rdd) {
    int n = rdd.getNumPartitions();
    Parts parts = new Parts(n);
    @SuppressWarnings("unchecked")
    RDD<Object> r = (RDD<Object>) (RDD<?>) rdd.rdd();
    rdd.context().runJob(r, new ToList(), partitions(n), parts, ClassTag$.MODULE$.apply(ArrayList.class));
    List<T> out = new ArrayList<>();
    for (ArrayList<?> part : parts.parts) {
      @SuppressWarnings("unchecked")
      List<T> typed = (List<T>) part;
      out.addAll(typed);
    }
    return out;
  }

  /** Partitions 0..n-1, as {@code SparkContext.runJob} takes them. */
  public static scala.collection.immutable.Seq<Object> partitions(int n) {
    List<Object> indices = new ArrayList<>(n);
    for (int p = 0; p < n; p++) indices.add(p);
    return CollectionConverters.asScala(indices).toList();
  }

  /** A partition's elements as a list (a named function: nothing for the cleaner to read). */
  private static final class ToList extends AbstractFunction2<TaskContext, scala.collection.Iterator<Object>, ArrayList<Object>>
      implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public ArrayList<Object> apply(TaskContext ctx, scala.collection.Iterator<Object> it) {
      ArrayList<Object> l = new ArrayList<>();
      while (it.hasNext()) l.add(it.next());
      return l;
    }
  }

  /** The partitions' lists, by partition index (runs on the driver). */
  private static final class Parts extends AbstractFunction2<Object, ArrayList<Object>, BoxedUnit> {
    final ArrayList<?>[] parts;

    Parts(int n) {
      parts = new ArrayList<?>[n];
    }

    @Override
    public synchronized BoxedUnit apply(Object index, ArrayList<Object> part) {
      parts[(Integer) index] = part;
      return BoxedUnit.UNIT;
    }
  }

  /** A Java function over each partition of one parent, as Spark's MapPartitionsRDD but without a Scala closure. */
  private static final class PartitionsRDD<T, U> extends RDD<U> {
    private static final long serialVersionUID = 1L;
    private final RDD<Object> parent;
    private final PartitionFunction<T, U> f;
    private final boolean preservesPartitioning;

    @SuppressWarnings("unchecked")
    PartitionsRDD(RDD<Object> parent, PartitionFunction<T, U> f, boolean preservesPartitioning) {
      super(parent, (ClassTag<U>) (ClassTag<?>) OBJECT);
      this.parent = parent;
      this.f = f;
      this.preservesPartitioning = preservesPartitioning;
    }

    @Override
    public scala.collection.Iterator<U> compute(Partition split, TaskContext context) {
      @SuppressWarnings("unchecked")
      Iterator<T> in = (Iterator<T>) CollectionConverters.asJava(parent.iterator(split, context));
      try {
        return CollectionConverters.asScala(f.call(split.index(), in));
      } catch (Exception e) {
        throw sneaky(e);
      }
    }

    @Override
    public Partition[] getPartitions() {
      return parent.partitions();
    }

    @Override
    public Option<Partitioner> partitioner() {
      return preservesPartitioning ? parent.partitioner() : Option.empty();
    }

    /**
     * Spark's own messages about this RDD ("Removing RDD 12 from persistence list") log where they
     * did for the MapPartitionsRDD it replaces, at Spark's level, not at Sparkprop's INFO.
     */
    @Override
    public String logName() {
      return "org.apache.spark.rdd.MapPartitionsRDD";
    }
  }

  /** Rethrows any exception unchanged, checked ones included, as Spark's wrappers of Java functions let them through. */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
    throw (E) e;
  }
}
