package io.sparkprop.driver.bench;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.Generators;
import io.sparkprop.trainer.data.Examples;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * How fast the teacher-network generator makes rows: {@code GeneratorBenchmark [master] [rows] [features] [partitions]}.
 * Prints one Markdown table row.
 */
public final class GeneratorBenchmark {
  private GeneratorBenchmark() {}

  public static void main(String[] args) {
    String master = args.length > 0 ? args[0] : "local[2]";
    long rows = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000L;
    int d = args.length > 2 ? Integer.parseInt(args[2]) : 784;
    int parts = args.length > 3 ? Integer.parseInt(args[3]) : 8;
    SparkConf conf = new SparkConf(true).setMaster(master).setAppName("sparkprop-generator-bench")
        .setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.ui.enabled", "false");
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      sc.setLogLevel("ERROR");
      long t0 = System.nanoTime();
      ExampleSet s = Generators.teacher(sc, rows, d, 64, 10, false, parts, 1);
      long n = s.blocks().map(Examples::rows).reduce(Integer::sum);
      double secs = (System.nanoTime() - t0) / 1e9;
      System.out.println("| generator | rows | features | partitions | seconds | rows/s |");
      System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
      System.out.printf("| teacher(64 hidden, 10 classes) | %d | %d | %d | %.1f | %.0f |%n", n, d, parts, secs, n / secs);
    }
  }
}
