package io.sparkprop.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.Test;

/** Rdds against Spark's own JavaRDD methods on the same data: the same elements, in the same partitions and order. */
class RddsTest {
  static JavaRDD<Integer> numbers() {
    return Spark.sc().parallelize(IntStream.range(0, 103).boxed().toList(), 4);
  }

  @Test
  void map_flatMap_mapPartitions_collect_equalJavaRdd() {
    JavaRDD<Integer> n = numbers();
    assertEquals(n.map(x -> x * 3 + 1).glom().collect(), Rdds.map(n, x -> x * 3 + 1).glom().collect());
    assertEquals(n.flatMap(x -> List.of(x, -x).subList(0, x % 3).iterator()).glom().collect(),
        Rdds.flatMap(n, x -> List.of(x, -x).subList(0, x % 3).iterator()).glom().collect());
    assertEquals(n.mapPartitionsWithIndex((p, it) -> {
      List<String> out = new ArrayList<>();
      while (it.hasNext()) out.add(p + ":" + it.next());
      return out.iterator();
    }, false).collect(), Rdds.collect(Rdds.mapPartitions(n, false, (p, it) -> {
      List<String> out = new ArrayList<>();
      while (it.hasNext()) out.add(p + ":" + it.next());
      return out.iterator();
    })));
    assertEquals(n.collect(), Rdds.collect(n));
    assertEquals(List.of(), Rdds.collect(Rdds.flatMap(n, x -> java.util.Collections.emptyIterator())));
  }

  @Test
  void mapPartitions_keepsThePartitionerOnlyWhenAsked() {
    JavaPairRDD<Integer, Integer> keyed = numbers().mapToPair(x -> new scala.Tuple2<>(x % 5, x)).partitionBy(new HashPartitioner(3));
    JavaRDD<scala.Tuple2<Integer, Integer>> pairs = JavaRDD.fromRDD(keyed.rdd(), keyed.classTag());
    assertSame(keyed.rdd().partitioner().get(), Rdds.mapPartitions(pairs, true, (p, it) -> it).rdd().partitioner().get());
    assertTrue(Rdds.mapPartitions(pairs, false, (p, it) -> it).rdd().partitioner().isEmpty());
  }

  /** Spark's INFO lines about caching the data path's RDDs stay under Spark's logger, not io.sparkprop's (INFO in the CLI). */
  @Test
  void sparksMessagesAboutTheseRdds_logUnderSpark() {
    assertEquals("org.apache.spark.rdd.MapPartitionsRDD", Rdds.map(numbers(), x -> x).rdd().logName());
  }

  @Test
  void aTasksException_reachesTheDriverAsSparksOwnWould() {
    JavaRDD<Integer> n = numbers();
    SparkException e = assertThrows(SparkException.class, () -> Rdds.collect(Rdds.map(n, x -> {
      if (x == 57) throw new java.io.IOException("row 57 unreadable");
      return x;
    })));
    assertTrue(String.valueOf(e.getMessage()).contains("row 57 unreadable"), e.getMessage());
    SparkException failed = assertThrows(SparkException.class, () -> Rdds.collect(Rdds.map(n, x -> {
      if (x == 3) throw new IllegalArgumentException("label 11 is out of range");
      return x;
    })));
    RuntimeException bad = SparkFailures.unwrapArgumentError(failed);
    assertTrue(bad instanceof IllegalArgumentException, String.valueOf(bad));
    assertEquals("label 11 is out of range", bad.getMessage());
  }
}
