package io.sparkprop.driver.job;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.datasets.Splits;
import io.sparkprop.driver.checkpoint.Checkpointer;
import io.sparkprop.driver.checkpoint.RunIdentity;
import io.sparkprop.driver.config.ConfigError;
import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.data.DataCheck;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.data.Placement;
import io.sparkprop.driver.data.StorageBudget;
import io.sparkprop.driver.loop.DistributedTrainer;
import io.sparkprop.driver.loop.Evaluator;
import io.sparkprop.driver.loop.ExecutorPreparations;
import io.sparkprop.driver.loop.FitOptions;
import io.sparkprop.driver.loop.FitResult;
import io.sparkprop.driver.loop.TrainingState;
import io.sparkprop.driver.model.Model;
import io.sparkprop.driver.model.ModelFiles;
import io.sparkprop.driver.registry.Registry;
import io.sparkprop.driver.report.RunReport;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.OptimizerState;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;

/**
 * The one training pipeline that {@code train} and {@code retrain} share: read, validate, scale
 * (or take the warm-start model's scaling), pack; resume from the newest valid checkpoint or
 * start (fresh or warm); fit with checkpoints and the divergence guard; evaluate; report. It
 * writes no model: the caller decides where a finished model goes (a directory, or a registry
 * version behind a gate), so a failed or refused run leaves nothing half-written.
 */
public final class TrainingJob {
  static final CheckpointedFit.Wording WORDING = new CheckpointedFit.Wording(
      "a lower optimizer.learning-rate (now %s), optimizer.clip-norm (e.g. 1.0), or training.on-divergence = rollback",
      "set output.checkpoints", "Run with --fresh to start over (it deletes the checkpoints in %s), or set output.checkpoints to a "
      + "new folder", "rerunning the same command");
  /** What a finished run hands its caller; {@link #close()} releases the cached data. */
  public static final class Result implements AutoCloseable {
    public final Model model;
    public final OptimizerState optimizer;
    public final TrainingSpec spec;
    public final PackedData train;
    public final PackedData validation;
    final PackedData test;
    final FitResult fit;

    Result(Model model, OptimizerState optimizer, TrainingSpec spec, PackedData train, PackedData validation, PackedData test,
        FitResult fit) {
      this.model = model;
      this.optimizer = optimizer;
      this.spec = spec;
      this.train = train;
      this.validation = validation;
      this.test = test;
      this.fit = fit;
    }

    @Override
    public void close() {
      train.unpersist();
      if (validation != null) validation.unpersist();
      if (test != null) test.unpersist();
    }
  }

  private TrainingJob() {}

  /**
   * {@code sparkprop train}'s whole job: {@link #run}, then the model written to {@code output.model}
   * (never over an existing one); returns the model, written or not.
   */
  public static Model trainAndSave(Session spark, JobConfig cfg, PrintStream out, boolean fresh) {
    Configuration hadoop = spark.sc().hadoopConfiguration();
    String modelOut = cfg.settings().output().model().replace("{time}",
        java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (!modelOut.isEmpty()) {
      try {
        Path p = new Path(modelOut);
        if (p.getFileSystem(hadoop).exists(p)) {
          throw new ConfigError("output.model " + modelOut + " already exists; models are never overwritten: choose a new directory");
        }
      } catch (IOException e) {
        throw new ConfigError("output.model " + modelOut + ": " + e.getMessage());
      }
    }
    String initFrom = cfg.settings().training().initFrom();
    if (!initFrom.isEmpty()) initFrom = Registry.resolveModelDir(initFrom, hadoop);
    try (TrainingJob.Result r = run(spark, cfg, out, fresh, initFrom)) {
      if (!modelOut.isEmpty()) {
        boolean withOptimizer = cfg.settings().output().saveOptimizerState();
        ModelFiles.save(r.model, modelOut, hadoop, withOptimizer ? r.optimizer : null, r.spec.optimizer().kind().name());
        out.println("model written to " + modelOut + (withOptimizer ? " (with optimizer state)" : ""));
      }
      return r.model;
    }
  }

  /**
   * Runs the job {@code cfg} describes.
   *
   * @param fresh delete the checkpoints in output.checkpoints and start over
   * @param initFrom the model directory to warm-start from (overrides training.init-from; "" for none)
   */
  public static Result run(Session spark, JobConfig cfg, PrintStream out, boolean fresh, String initFrom) {
    JavaSparkContext sc = spark.jsc();
    String runName = cfg.settings().run().name();
    NetworkSpec net = cfg.network();
    int partitions = cfg.settings().training().partitions();
    if (partitions == 0) partitions = sc.defaultParallelism();
    Model start = initFrom.isEmpty() ? null : warmStartModel(initFrom, cfg, sc);

    out.println("sparkprop " + ModelFiles.sparkpropVersion() + ": run " + runName + ", network " + net + ", master "
        + sc.master() + ", " + partitions + " partitions");
    out.println("effective config: " + cfg.renderCompact());

    List<ExampleSet> checked = new java.util.ArrayList<>(); // cached by the check, released once packed
    Result r;
    try {
      r = load(spark, cfg, out, fresh, initFrom, start, partitions, checked);
    } catch (Throwable e) {
      io.sparkprop.driver.failure.JobFailures.cleanUpAfter(e, () -> checked.forEach(DataCheck::release));
      throw e;
    }
    checked.forEach(DataCheck::release);
    return r;
  }

  private static Result load(Session spark, JobConfig cfg, PrintStream out, boolean fresh, String initFrom, Model start,
      int partitions, List<ExampleSet> checked) {
    JavaSparkContext sc = spark.jsc();
    NetworkSpec net = cfg.network();
    List<String> labels = null; // class names: the warm-start model's (fitted once), or fitted on the training data
    if (DataLoader.stringLabels(cfg)) {
      labels = start != null && start.labels() != null ? start.labels()
          : DataLoader.classNames(spark, cfg, cfg.settings().data().train(), partitions);
      out.println("classes: " + labels + (start != null && start.labels() != null ? " (from the warm-start model)" : ""));
    } else if (start != null && start.labels() != null) {
      throw new ConfigError("the warm-start model names its classes " + start.labels() + "; set data.label-type = string");
    }
    Placement placement = cfg.placement();
    StorageBudget budget = StorageBudget.of(sc.sc());
    if (DistributedTrainer.reducesOnExecutors(cfg.gradientReduce(), sc.sc().isLocal(), partitions, net.paramCount())) {
      budget = budget.reserving(StorageBudget.sliceBytesPerExecutor(partitions, budget.executors(), net.paramCount()));
    }
    DataCheck.Placed trainPlaced = DataCheck.checkPlaced(DataLoader.load(spark, cfg, cfg.settings().data().train(), "train", partitions,
        false, labels), net, "training", placement, budget);
    ExampleSet train = trainPlaced.set();
    checked.add(train);
    Placement trainPlacement = trainPlaced.placement();
    Placement valPlacement = trainPlacement;
    Placement testPlacement = Placement.MEMORY;
    ExampleSet validation = null;
    String valPath = cfg.settings().data().validation();
    double fraction = cfg.settings().data().validationFraction();
    if (!valPath.isEmpty() || cfg.settings().data().format().equals("generated")) {
      DataCheck.Placed v = DataCheck.checkPlaced(DataLoader.load(spark, cfg, valPath, "validation", partitions, false, labels), net,
          "validation", placement, budget);
      validation = v.set();
      valPlacement = v.placement();
      checked.add(validation);
    } else if (fraction > 0) {
      ExampleSet[] s = Splits.trainValidation(train, fraction, cfg.settings().training().seed());
      train = s[0];
      validation = s[1];
    }
    String testPath = cfg.settings().data().test();
    ExampleSet test = null;
    if (!testPath.isEmpty() || cfg.settings().data().format().equals("generated")) {
      DataCheck.Placed t = DataCheck.checkPlaced(DataLoader.load(spark, cfg, testPath, "test", partitions, false, labels), net,
          "test", placement, budget);
      test = t.set();
      testPlacement = t.placement();
      checked.add(test);
    }

    if (train.blocks().getNumPartitions() > partitions) {
      train = train.withBlocks(train.blocks().coalesce(partitions), train.description());
    }
    FeatureScaling scaling = start != null ? start.scaling()
        : FeatureScaling.fit(FeatureScaling.parseKind(cfg.settings().data().scaling()), train);
    train = scaling.apply(train);
    if (validation != null) validation = scaling.apply(validation);
    if (test != null) test = scaling.apply(test);

    // the spec's schedule length is unknown until the data are counted; the warm-ups' steps do not depend on it
    io.sparkprop.driver.loop.DriverWarmup.startInBackground(sc, cfg.trainingSpec(1));
    PackedData trainData = PackedData.pack(train, cfg.network(), cfg.storageLevel(), trainPlacement,
        cfg.diskReserve(), cfg.threadsPerTask(sc.sc()), ExecutorPreparations.forTraining(cfg.trainingSpec(1)));
    PackedData valData = null;
    PackedData testData = null;
    try {
      if (train.droppedRows() > 0) out.println("dropped " + train.droppedRows() + " bad training rows (data.bad-rows = drop)");
      valData = validation == null ? null : PackedData.pack(validation, net, cfg.storageLevel(), valPlacement, cfg.diskReserve(),
          cfg.threadsPerTask(sc.sc()), ExecutorPreparations.forEvaluation());
      testData = test == null ? null : PackedData.pack(test, net, cfg.storageLevel(), testPlacement, cfg.diskReserve(),
          cfg.threadsPerTask(sc.sc()), ExecutorPreparations.forEvaluation());
      checked.forEach(DataCheck::release); // the packed copies are cached now
      checked.clear();
      out.printf("data: %d training examples (%.1f MB %s)%s%s%n", trainData.rows(), trainData.bytes() / 1e6,
          trainData.placement() == Placement.DISK ? "in files on the executors' local disks" : "cached",
          valData == null ? "" : ", " + valData.rows() + " validation", testData == null ? "" : ", " + testData.rows() + " test");
      return fit(sc, cfg, out, fresh, initFrom, start, labels, scaling, trainData, valData, testData, partitions);
    } catch (Throwable e) { // SparkException included: the cached blocks and files must go with the failed run
      PackedData v = valData;
      PackedData t = testData;
      io.sparkprop.driver.failure.JobFailures.cleanUpAfter(e, () -> {
        trainData.unpersist();
        if (v != null) v.unpersist();
        if (t != null) t.unpersist();
      });
      throw e;
    }
  }

  /** Loads the warm-start model and checks that the config can continue it. */
  private static Model warmStartModel(String dir, JobConfig cfg, JavaSparkContext sc) {
    Model m = ModelFiles.load(dir, sc.hadoopConfiguration());
    NetworkSpec net = cfg.network();
    if (!m.spec().equals(net)) {
      throw new ConfigError("training.init-from " + dir + " holds network " + m.spec() + " (layers "
          + java.util.Arrays.toString(m.spec().sizes()) + ") but model.* describes " + net + " (layers "
          + java.util.Arrays.toString(net.sizes()) + "); warm starts need the same architecture and feature count");
    }
    FeatureScaling.Kind wanted = FeatureScaling.parseKind(cfg.settings().data().scaling());
    if (wanted != m.scaling().kind()) {
      throw new ConfigError("data.scaling = " + cfg.settings().data().scaling() + " but the warm-start model " + dir + " was trained with "
          + m.scaling().kind().name().toLowerCase().replace('_', '-') + " scaling, which it carries over; set data.scaling = "
          + m.scaling().kind().name().toLowerCase().replace('_', '-'));
    }
    return m;
  }

  private static Result fit(JavaSparkContext sc, JobConfig cfg, PrintStream out, boolean fresh, String initFrom, Model start,
      List<String> labels, FeatureScaling scaling, PackedData trainData, PackedData valData, PackedData testData, int partitions) {
    String runName = cfg.settings().run().name();
    NetworkSpec net = cfg.network();
    int batch = cfg.settings().training().batchSize();
    long spe = cfg.settings().training().dropLast() ? trainData.rows() / batch : (trainData.rows() + batch - 1) / batch;
    if (spe == 0) {
      throw new ConfigError("training.batch-size = " + batch + " with drop-last leaves no batch of " + trainData.rows() + " examples");
    }
    TrainingSpec spec = cfg.trainingSpec(spe);
    StorageBudget.of(sc.sc()).checkStepFits(spec);
    int slots = net.paramCount() * spec.optimizer().slotsPerParam();
    RunIdentity identity = new RunIdentity(cfg.runDefiningValues(), trainData.fingerprint(), trainData.blockCount(),
        net.paramCount(), slots);

    String ckptDir = cfg.settings().output().checkpoints();
    int epochs = cfg.settings().training().epochs();
    CheckpointedFit.Settings settings = new CheckpointedFit.Settings(runName, new FitOptions(epochs, valData,
        cfg.settings().training().evalEvery(), cfg.settings().training().patience()), cfg.gradientReduce(),
        cfg.settings().training().stepsPerJob(), cfg.settings().training().onDivergence().equals("rollback"),
        cfg.settings().training().divergenceLrFactor(), cfg.settings().training().maxRollbacks());
    CheckpointedFit.Checkpoints checkpoints = new CheckpointedFit.Checkpoints(ckptDir,
        cfg.settings().output().keepCheckpoints(), cfg.settings().output().checkpointEverySteps(),
        cfg.settings().output().checkpointEverySeconds());
    java.util.function.Supplier<TrainingState> initial = () -> {
      float[] params = start != null ? start.params() : spec.initialParams();
      OptimizerState opt = spec.optimizer().initialise(net.paramCount());
      if (start != null && cfg.settings().training().initOptimizer()) {
        opt = ModelFiles.loadOptimizerState(initFrom, sc.hadoopConfiguration(), spec.optimizer().kind().name(), slots);
      }
      if (start != null) {
        out.println("warm start from " + initFrom + (cfg.settings().training().initOptimizer()
            ? " (with its optimizer state after " + opt.priorSteps() + " steps)" : ""));
      }
      return TrainingState.start(params, opt);
    };
    CheckpointedFit.Start from = CheckpointedFit.start(sc, spec, trainData, identity, checkpoints, WORDING, fresh, initial,
        out::println);
    String resumedFrom = from.resumedFrom();
    RunOutput output = new RunOutput(cfg.settings().output().dir(), out, epochs, net.head().isClassification(),
        cfg.settings().output().stepMetrics(), spe, resumedFrom != null);
    Evaluator.Evaluation[] evals = new Evaluator.Evaluation[2];
    CheckpointedFit.Outcome fit;
    try {
      fit = CheckpointedFit.run(sc, spec, trainData, from, settings, WORDING, output::epoch, output::step, r -> {
        output.close();
        // the report's confusion matrix (test data, else validation) comes from that set's evaluation pass
        evals[0] = valData == null ? null : Evaluator.evaluate(sc, spec, r.params(), valData, runName, testData == null);
        evals[1] = testData == null ? null : Evaluator.evaluate(sc, spec, r.params(), testData, runName, true);
      });
    } catch (Throwable e) {
      io.sparkprop.driver.failure.JobFailures.cleanUpAfter(e, output::close);
      throw e;
    }
    FitResult result = fit.result();
    float[] params = result.params();
    Map<String, Double> metrics = new LinkedHashMap<>();
    if (!result.history().isEmpty()) metrics.put("train_loss", result.history().get(result.history().size() - 1).trainLoss());
    Evaluator.Evaluation valEval = evals[0];
    Evaluator.Evaluation testEval = evals[1];
    Checkpointer checkpointer = fit.checkpointer();
    if (!ckptDir.isEmpty()) {
      out.printf("checkpoints: %d written to %s (%.1f MB each, %.2f s of writing off the training path; training waited %.2f s,"
          + " %.1f%% of %.1f s)%s%n", checkpointer.writes(), ckptDir, checkpointer.lastBytes() / 1e6, checkpointer.writeSeconds(),
          fit.trainingWait(), 100 * fit.trainingWait() / fit.trainSeconds(), fit.trainSeconds(),
          checkpointer.failures() > 0 ? "; " + checkpointer.failures() + " write(s) failed" : "");
    }
    EvalSums valSums = valEval == null ? null : valEval.sums();
    if (valSums != null) put(metrics, "validation", valSums, net);
    EvalSums testSums = testEval == null ? null : testEval.sums();
    if (testSums != null) {
      put(metrics, "test", testSums, net);
      out.println("test: " + describe(testSums, net));
    }
    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put("run", runName);
    provenance.put("seed", Long.toString(spec.seed()));
    provenance.put("trainingData", cfg.settings().data().train().isEmpty() ? cfg.settings().data().format() : cfg.settings().data().train());
    provenance.put("trainingRows", Long.toString(trainData.rows()));
    provenance.put("trainingFingerprint", trainData.fingerprint().toString());
    provenance.put("epochs", Integer.toString(result.history().size()));
    provenance.put("config", cfg.renderCompact());
    if (!initFrom.isEmpty()) provenance.put("initFrom", initFrom);
    if (resumedFrom != null) provenance.put("resumedFrom", resumedFrom);
    Model model = new Model(net, params, scaling, labels, provenance, metrics);
    PackedData reportData = testData != null ? testData : valData;
    Evaluator.Evaluation reportEval = testEval != null ? testEval : valEval; // reportData's
    RunReport.write(cfg.settings().output().dir(), runName, model, result.history(),
        reportEval == null ? null : reportEval.confusion(), RunReport.sample(reportData, model, 1500),
        provenance.get("trainingData") + " (" + trainData.rows() + " training examples)", out);
    return new Result(model, fit.optimizer(), spec, trainData, valData, testData, result);
  }

  static void put(Map<String, Double> m, String prefix, EvalSums s, NetworkSpec net) {
    m.put(prefix + "_loss", s.meanLoss());
    if (net.head().isClassification()) {
      m.put(prefix + "_accuracy", s.accuracy());
    } else {
      m.put(prefix + "_mse", s.mse());
      m.put(prefix + "_mae", s.mae());
    }
  }

  public static String describe(EvalSums s, NetworkSpec net) {
    return net.head().isClassification()
        ? String.format("accuracy %.4f, log loss %.4f (%d examples)", s.accuracy(), s.meanLoss(), s.count())
        : String.format("MSE %.5f, MAE %.5f (%d examples)", s.mse(), s.mae(), s.count());
  }
}
