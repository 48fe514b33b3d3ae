package io.sparkprop.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.driver.SparkTestAccess;
import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.job.DataLoader;
import io.sparkprop.driver.job.Session;
import io.sparkprop.driver.loop.DistributedTrainer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.reflect.ClassTag$;

/**
 * What every training step ships to every task: the cached RDD's lineage and the step function.
 * It must stay small and the same for every data source the CLI reads, so a reader that captures
 * something heavy (a Hadoop Configuration is ~30-60 KB serialized and costs a deserialization per
 * task) fails here instead of slowing every step.
 */
class TaskBinaryTest {
  /** The bound: a few KB of lineage and spec; a captured Hadoop Configuration alone exceeds it. */
  static final long MAX_BYTES = 8 * 1024;
  @TempDir Path dir;

  /** Bytes of a loaded (unpacked) set's lineage, which every loading job's tasks carry: the readers' RDDs and functions. */
  static long lineageBytes(ExampleSet set) {
    return org.apache.spark.SparkEnv.get().closureSerializer().newInstance()
        .serialize(set.blocks().rdd(), scala.reflect.ClassTag$.MODULE$.apply(Object.class)).remaining();
  }

  final List<String> loading = new ArrayList<>();

  long bytes(SparkSession spark, JobConfig cfg) {
    ExampleSet set = DataLoader.load(Session.of(spark), cfg, cfg.string("data.train"), "train", 2);
    loading.add(cfg.string("data.format") + " " + lineageBytes(set) + " B");
    PackedData data = PackedData.pack(set, cfg.network(), StorageLevel.MEMORY_AND_DISK());
    try {
      DistributedTrainer t = new DistributedTrainer(SparkTestAccess.context(), cfg.trainingSpec(10), data, "binary");
      return t.stepTaskBinaryBytes();
    } finally {
      data.unpersist();
    }
  }

  @Test
  void stepTaskBinary_isSmallForEveryDataSource() throws Exception {
    SparkTestAccess.context();
    SparkSession spark = SparkSession.builder().getOrCreate();
    Path csv = SampleFiles.csv(dir, "d.csv", "a,b,label", 200);
    Path svm = SampleFiles.libsvm(dir, "d.svm", 200);
    String parquet = dir.resolve("d.parquet").toString();
    spark.read().format("libsvm").option("numFeatures", "2").load(svm.toString()).write().parquet(parquet);

    Map<String, JobConfig> sources = new LinkedHashMap<>();
    sources.put("generated", JobConfig.load((String) null, List.of("model.layers=[2, 8, 3]", "data.generator.rows=300")));
    sources.put("csv", JobConfig.load((String) null, List.of("model.layers=[2, 8, 2]", "data.format=csv", "data.train=" + csv)));
    sources.put("libsvm", JobConfig.load((String) null, List.of("model.layers=[2, 8, 2]", "data.format=libsvm", "data.train=" + svm)));
    sources.put("parquet", JobConfig.load((String) null, List.of("model.layers=[2, 8, 2]", "data.format=parquet",
        "data.train=" + parquet)));
    if (new File("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").exists()) {
      sources.put("idx", JobConfig.load((String) null, List.of("model.layers=[784, 8, 10]", "data.format=idx",
          "data.train=/usr/share/datasets/fashion-mnist/t10k")));
    }
    List<String> report = new ArrayList<>();
    for (Map.Entry<String, JobConfig> e : sources.entrySet()) report.add(e.getKey() + " " + bytes(spark, e.getValue()) + " B");
    System.out.println("step task binary: " + report);
    for (String r : report) {
      long b = Long.parseLong(r.split(" ")[1]);
      assertTrue(b <= MAX_BYTES, "a training step ships " + r + " to every task; the bound is " + MAX_BYTES + ": " + report);
    }
    assertEquals(1, report.stream().map(r -> r.split(" ")[1]).distinct().count(), "the same for every source: " + report);
    // the data loading jobs' tasks carry the readers' lineage: a Hadoop Configuration captured in
    // a reader's function (instead of broadcast once) would be serialized into every one of them.
    // Parquet's is Spark SQL's own file scan (about 30 KB: its plan), not a reader of ours.
    System.out.println("loading task lineage: " + loading);
    for (String r : loading) {
      if (r.startsWith("parquet ")) continue;
      long b = Long.parseLong(r.split(" ")[1]);
      assertTrue(b <= MAX_BYTES, "a loading job ships " + r + " to every task; the bound is " + MAX_BYTES + ": " + loading);
    }
  }
}
