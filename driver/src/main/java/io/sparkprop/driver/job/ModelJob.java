package io.sparkprop.driver.job;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.driver.config.ConfigError;
import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.model.Model;
import io.sparkprop.driver.model.ModelFiles;
import io.sparkprop.trainer.TrainingSpec;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.storage.StorageLevel;

/** What evaluate and predict share: load a model, read data the way it was trained, scale and pack it. */
public final class ModelJob {
  public final Model model;
  final JobConfig cfg;
  public final PackedData data;
  public final TrainingSpec spec;

  public ModelJob(Session spark, String modelDir, String dataPath, List<String> sets) {
    this(spark, modelDir, dataPath, sets, false);
  }

  public ModelJob(Session spark, String modelDir, String dataPath, List<String> sets, boolean unlabeled) {
    this.model = ModelFiles.load(io.sparkprop.driver.registry.Registry.resolveModelDir(modelDir,
        spark.sc().hadoopConfiguration()), spark.sc().hadoopConfiguration());
    String stored = model.provenance().get("config");
    if (stored == null) throw new ConfigError("model " + modelDir + " stores no config; pass every data.* key with --set");
    List<String> all = new ArrayList<>(sets);
    all.add("data.train=" + io.sparkprop.driver.config.JobConfig.quote(dataPath));
    this.cfg = JobConfig.fromModel(stored, all);
    if (!cfg.network().equals(model.spec())) {
      throw new ConfigError("--set changed model.*: the model holds " + model.spec());
    }
    int partitions = cfg.settings().training().partitions();
    if (partitions == 0) partitions = spark.sc().defaultParallelism();
    String format = cfg.settings().data().format();
    if (unlabeled && !format.equals("csv") && !format.equals("parquet") && !format.equals("orc") && !format.equals("json")) {
      throw new ConfigError("--unlabeled reads csv or Spark formats (parquet, orc, json), not data.format = " + format
          + " (libsvm and idx always carry labels)");
    }
    if (DataLoader.stringLabels(cfg) && model.labels() == null) {
      throw new ConfigError("data.label-type = string but model " + modelDir + " stores no class names");
    }
    io.sparkprop.driver.data.DataCheck.Placed placed = io.sparkprop.driver.data.DataCheck.checkPlaced(DataLoader.load(spark, cfg, dataPath,
        "test", partitions, unlabeled, DataLoader.stringLabels(cfg) ? model.labels() : null),
        model.spec(), unlabeled ? "input" : "evaluation", cfg.placement(),
        io.sparkprop.driver.data.StorageBudget.of(spark.sc()));
    ExampleSet set = placed.set();
    try {
      this.data = PackedData.pack(model.scaling().apply(set), model.spec(), cfg.storageLevel(), placed.placement(), cfg.diskReserve(),
          cfg.threadsPerTask(spark.sc()), io.sparkprop.driver.loop.ExecutorPreparations.forEvaluation());
    } finally {
      io.sparkprop.driver.data.DataCheck.release(set);
    }
    this.spec = new TrainingSpec(model.spec(), io.sparkprop.trainer.nn.Init.of(io.sparkprop.trainer.nn.Init.Kind.HE_NORMAL),
        io.sparkprop.trainer.optim.Optimizer.sgd(1), 1, false, 0, cfg.settings().training().blockRows());
  }
}
