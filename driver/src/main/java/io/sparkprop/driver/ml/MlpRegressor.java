package io.sparkprop.driver.ml;

import io.sparkprop.datasets.Targets;
import io.sparkprop.driver.model.Model;
import io.sparkprop.trainer.nn.Head;
import java.util.Map;
import org.apache.spark.ml.Predictor;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A Spark ML regressor training an MLP with one linear output and squared error, with Sparkprop's
 * synchronous data-parallel SGD (the last entry of {@code layers} must be 1). Usable in Pipelines
 * and with CrossValidator. Example weights are not taken here (use the CLI or DistributedTrainer).
 */
public final class MlpRegressor extends Predictor<Vector, MlpRegressor, MlpRegressionModel>
    implements DefaultParamsWritable, MlpParams<MlpRegressor> {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private final transient TrainParams tp;

  public MlpRegressor() {
    this(Uids.random("sparkprop_mlpr"));
  }

  public MlpRegressor(String uid) {
    this(Uids.park(uid));
  }

  private MlpRegressor(Uids.Parked parked) {
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
  public MlpRegressionModel train(Dataset<?> dataset) {
    Row first = dataset.select(getFeaturesCol()).first();
    int d = ((Vector) first.get(0)).size();
    TrainParams.Fitted fit = tp.fit(this, dataset, getFeaturesCol(), getLabelCol(), Head.LINEAR_SQUARED_ERROR, Targets.regression(1), d);
    float[] params = fit.result().params();
    MlpRegressionModel model = new MlpRegressionModel(uid, new Model(tp.network(this, Head.LINEAR_SQUARED_ERROR, d, 1), params,
        fit.scaling(), null, fit.provenance(), Map.of()));
    model.setSummary(scala.Option.apply(new TrainingSummary(fit, false)));
    return model;
  }

  /** The bytes of the model a fit makes, from {@code layers} alone (Spark Connect checks it against its cache before fitting). */
  @Override
  public long estimateModelSize(Dataset<?> dataset) {
    return tp.estimatedModelBytes(this);
  }

  @Override
  public MlpRegressor copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<MlpRegressor> read() {
    return new DefaultParamsReadable<MlpRegressor>() {}.read();
  }

  public static MlpRegressor load(String path) {
    return read().load(path);
  }
}
