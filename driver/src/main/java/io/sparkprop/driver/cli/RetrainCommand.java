package io.sparkprop.driver.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkprop.driver.config.ConfigError;
import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.job.Session;
import io.sparkprop.driver.job.TrainingJob;
import io.sparkprop.driver.loop.Evaluator;
import io.sparkprop.driver.model.Model;
import io.sparkprop.driver.model.ModelFiles;
import io.sparkprop.driver.registry.Registry;
import io.sparkprop.driver.registry.RegistryLock;
import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sparkprop retrain --registry DIR --config FILE [--set ...]}: warm-start from the
 * registry's current version (or train fresh into an empty registry), evaluate candidate and
 * incumbent on the same holdout, and publish the candidate as a new version only when it is not
 * worse than the incumbent by more than registry.tolerance on registry.metric. Exit 0 when
 * published, 3 when the gate refused (the candidate is kept under rejected/).
 */
@Command(name = "retrain", mixinStandardHelpOptions = true,
    description = {"Warm-start from a registry's current version, train on new data, and publish a new version only if it",
        "is at least as good on the holdout (registry.metric, registry.tolerance). Exit 0 published, 3 gate refused."})
final class RetrainCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--registry", required = true, paramLabel = "DIR", description = "The model registry (any Hadoop path; created when absent)")
  String registry;

  @Option(names = "--config", paramLabel = "FILE", description = "HOCON job config, a local file or any Hadoop path; keys in docs/configuration.md")
  String config;

  @Mixin ConfigOptions common = new ConfigOptions();

  @Override
  public Integer call() {
    JobConfig cfg = JobConfig.load(config, common.sets);
    if (cfg.settings().data().validation().isEmpty() && cfg.settings().data().validationFraction() == 0
        && !cfg.settings().data().format().equals("generated")) {
      throw new ConfigError("retrain compares candidate and incumbent on a holdout: set data.validation or data.validation-fraction (e.g. 0.1)");
    }
    if (!cfg.settings().output().model().isEmpty()) { // the same config file serves train and retrain
      System.err.println("sparkprop: warning: output.model = " + cfg.settings().output().model() + " is ignored by retrain: the registry "
          + registry + " receives the model");
    }
    try (Session spark = Session.open(common.master, cfg.settings().run().name(), common.logLevel())) {
      return run(spark, cfg, registry, common.out());
    }
  }

  static int run(Session spark, JobConfig cfg, String registryDir, PrintStream out) {
    Configuration hadoop = spark.sc().hadoopConfiguration();
    JavaSparkContext sc = spark.jsc();
    Registry reg = Registry.openOrCreate(registryDir, hadoop);
    long timeout = (long) (cfg.settings().registry().lockTimeoutSeconds() * 1000);
    try (RegistryLock lock = reg.lock(timeout)) {
      String incumbent = reg.current();
      String initFrom = incumbent == null ? cfg.settings().training().initFrom() : reg.modelDir(incumbent);
      if (incumbent == null && !initFrom.isEmpty()) initFrom = Registry.resolveModelDir(initFrom, hadoop);
      out.println("retrain: registry " + registryDir + ", current version " + (incumbent == null ? "none (training fresh)" : incumbent));
      NetworkSpec net = cfg.network();
      String metric = cfg.settings().registry().metric();
      if (metric.equals("auto")) metric = net.head().isClassification() ? "accuracy" : "mse";
      boolean higherBetter = metric.equals("accuracy");
      double tolerance = cfg.settings().registry().tolerance();
      try (TrainingJob.Result r = TrainingJob.run(spark, cfg, out, false, initFrom)) {
        // the run is over whatever the gate says: its checkpoints must not block tomorrow's run on new data
        if (!cfg.settings().output().checkpoints().isEmpty()) {
          new io.sparkprop.driver.checkpoint.CheckpointStore(cfg.settings().output().checkpoints(), hadoop, 1).clear();
        }
        EvalSums cand = Evaluator.evaluate(sc, r.spec, r.model.params(), r.validation, "retrain candidate");
        ObjectNode record = JSON.createObjectNode();
        ObjectNode gate = record.putObject("gate");
        gate.put("metric", metric);
        gate.put("tolerance", tolerance);
        gate.put("higherIsBetter", higherBetter);
        ObjectNode holdout = record.putObject("holdout");
        holdout.put("rows", r.validation.rows());
        holdout.put("source", !cfg.settings().data().validation().isEmpty() ? cfg.settings().data().validation()
            : cfg.settings().data().format().equals("generated") ? "generated validation set"
            : "seeded split: data.validation-fraction " + cfg.settings().data().validationFraction() + " of the training data");
        holdout.put("fingerprint", r.validation.fingerprint().toString());
        metrics(record.putObject("candidate"), cand, net);
        double c = value(cand, metric);
        String decision;
        String reason;
        if (incumbent == null) {
          record.putNull("incumbent");
          decision = "published";
          reason = "first version of the registry (" + metric + " " + fmt(c) + " on the holdout)";
        } else {
          Model inc = ModelFiles.load(reg.modelDir(incumbent), hadoop);
          EvalSums incSums = Evaluator.evaluate(sc, r.spec, inc.params(), r.validation, "retrain incumbent");
          ObjectNode in = record.putObject("incumbent");
          in.put("version", incumbent);
          metrics(in, incSums, net);
          double i = value(incSums, metric);
          double worseBy = higherBetter ? i - c : c - i;
          boolean ok = Double.isFinite(c) && worseBy <= tolerance;
          decision = ok ? "published" : "refused";
          reason = String.format("candidate %s %s vs %s's %s on the same holdout of %d rows: %s by %s, %s tolerance %s", metric, fmt(c),
              incumbent, fmt(i), r.validation.rows(), worseBy > 0 ? "worse" : "better or equal", fmt(Math.abs(worseBy)),
              ok ? "within" : "beyond", fmt(tolerance));
          record.put("replaces", incumbent);
        }
        record.put("decision", decision);
        record.put("reason", reason);
        record.put("initFrom", initFrom);
        ObjectNode data = record.putObject("trainingData");
        data.put("description", r.model.provenance().get("trainingData"));
        data.put("fingerprint", r.train.fingerprint().toString());
        record.set("config", JSON.readTree(cfg.renderCompact()));
        ObjectNode tm = record.putObject("trainingMetrics");
        r.model.metrics().forEach(tm::put);
        if (decision.equals("published")) {
          boolean withOpt = cfg.settings().output().saveOptimizerState();
          String v = reg.addVersion(r.model, withOpt ? r.optimizer : null, r.spec.optimizer().kind().name(), record, true);
          out.println("published " + v + ": " + reason);
          var deleted = reg.prune(cfg.settings().registry().keep());
          if (!deleted.isEmpty()) out.println("pruned old versions " + deleted + " (registry.keep = " + cfg.settings().registry().keep() + ")");
          return Sparkprop.OK;
        }
        String where = reg.addRejected(r.model, record);
        reg.prune(cfg.settings().registry().keep());
        out.println("gate refused: " + reason + "; the candidate is kept in " + registryDir + "/" + where + " and " + incumbent
            + " stays current");
        return Sparkprop.GATE_REFUSED;
      }
    } catch (Exception e) {
      throw io.sparkprop.datasets.SparkFailures.unwrapArgumentError(e);
    }
  }

  private static double value(EvalSums s, String metric) {
    switch (metric) {
      case "accuracy": return s.accuracy();
      case "log-loss": return s.meanLoss();
      case "mse": return s.mse();
      case "mae": return s.mae();
      default: throw new IllegalStateException(metric);
    }
  }

  private static void metrics(ObjectNode o, EvalSums s, NetworkSpec net) {
    Map<String, Double> m = new LinkedHashMap<>();
    if (net.head().isClassification()) {
      m.put("accuracy", s.accuracy());
      m.put("log-loss", s.meanLoss());
    } else {
      m.put("mse", s.mse());
      m.put("mae", s.mae());
    }
    m.forEach(o::put);
  }

  private static String fmt(double v) {
    return String.format("%.6g", v);
  }
}
