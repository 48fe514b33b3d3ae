package io.sparkprop.driver.ml;

import io.sparkprop.datasets.Targets;
import io.sparkprop.driver.model.Model;
import io.sparkprop.trainer.nn.Head;
import java.util.Map;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A Spark ML probabilistic classifier training a softmax MLP with Sparkprop's synchronous
 * data-parallel SGD. Usable in Pipelines and with CrossValidator, from Java, Scala and (by class
 * name) PySpark. Features: a vector column; label: class indices 0..k-1 (k = the last entry of
 * {@code layers}). Example weights are not taken here (use the CLI or DistributedTrainer).
 */
public final class MlpClassifier extends ProbabilisticClassifier<Vector, MlpClassifier, MlpClassificationModel>
    implements DefaultParamsWritable, MlpParams<MlpClassifier> {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private final transient TrainParams tp;

  public MlpClassifier() {
    this(Uids.random("sparkprop_mlpc"));
  }

  public MlpClassifier(String uid) {
    this(Uids.park(uid));
  }

  private MlpClassifier(Uids.Parked parked) {
    super();
    this.uid = Uids.take();
    this.tp = new TrainParams(this);
    tp.setDefaults(this);
  }

  @Override
  public String uid() {
    return uid != null ? uid : Uids.pending();
  }

  @Override
  public TrainParams trainParams() {
    return tp;
  }

  @Override
  public MlpClassificationModel train(Dataset<?> dataset) {
    int k = getNumClasses(dataset, 1 << 20);
    Row first = dataset.select(getFeaturesCol()).first();
    int d = ((Vector) first.get(0)).size();
    TrainParams.Fitted fit = tp.fit(this, dataset, getFeaturesCol(), getLabelCol(), Head.SOFTMAX_CROSS_ENTROPY, Targets.classes(k), d);
    float[] params = fit.result().params();
    MlpClassificationModel model = new MlpClassificationModel(uid, new Model(tp.network(this, Head.SOFTMAX_CROSS_ENTROPY, d, k),
        params, fit.scaling(), null, fit.provenance(), Map.of()));
    model.setSummary(scala.Option.apply(new TrainingSummary(fit, true)));
    return model;
  }

  /** The bytes of the model a fit makes, from {@code layers} alone (Spark Connect checks it against its cache before fitting). */
  @Override
  public long estimateModelSize(Dataset<?> dataset) {
    return tp.estimatedModelBytes(this);
  }

  @Override
  public MlpClassifier copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<MlpClassifier> read() {
    return new DefaultParamsReadable<MlpClassifier>() {}.read();
  }

  public static MlpClassifier load(String path) {
    return read().load(path);
  }
}
