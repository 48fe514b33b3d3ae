package io.sparkprop.driver.ml;

import io.sparkprop.driver.model.Model;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.NetworkSpec;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.regression.RegressionModel;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;

/** A fitted {@link MlpRegressor}: prediction = the network's single linear output. */
public final class MlpRegressionModel extends RegressionModel<Vector, MlpRegressionModel> implements MLWritable, FittedMlp {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private final MlpPredictor net;

  /**
   * Only for discovery: Spark Connect finds model classes through {@link java.util.ServiceLoader},
   * which requires a public no-argument constructor but never calls it. A model is made by
   * {@code MlpRegressor.fit} or {@link #load(String)}.
   */
  public MlpRegressionModel() {
    this(Uids.park("MlpRegressionModel"), false);
  }

  private MlpRegressionModel(Uids.Parked parked, boolean unused) {
    super();
    Uids.take();
    throw new UnsupportedOperationException("an MlpRegressionModel is made by MlpRegressor.fit or MlpRegressionModel.load(path)");
  }

  public MlpRegressionModel(String uid, NetworkSpec spec, float[] params) {
    this(uid, MlpPredictor.unscaled(spec, params));
  }

  /** The network, weights, feature scaling and provenance of a Sparkprop model. */
  public MlpRegressionModel(String uid, Model model) {
    this(Uids.park(uid), model);
  }

  private MlpRegressionModel(Uids.Parked parked, Model model) {
    super();
    this.uid = Uids.take();
    NetworkSpec spec = model.spec();
    if (spec.head() != Head.LINEAR_SQUARED_ERROR || spec.outputSize() != 1) {
      throw new IllegalArgumentException("a regression model needs one linear output, got " + spec);
    }
    this.net = new MlpPredictor(model);
  }

  @Override
  public String uid() {
    return uid != null ? uid : Uids.pending();
  }

  /** Set by the estimator that fitted this model; empty for a loaded or copied one. */
  private transient scala.Option<TrainingSummary> trainingSummary = scala.Option.empty();

  @Override
  public scala.Option<TrainingSummary> trainingSummary() {
    return trainingSummary;
  }

  @Override
  public void trainingSummary_$eq(scala.Option<TrainingSummary> summary) {
    this.trainingSummary = summary;
  }

  /** The bytes this model holds (Spark Connect's model cache sizes models by it). */
  @Override
  public long estimatedSize() {
    return net.estimatedBytes();
  }

  /** Class, uid and the network: what Spark Connect clients read as the model's {@code toString}. */
  @Override
  public String toString() {
    return net.describe(getClass().getSimpleName(), uid());
  }

  /** Layer sizes from input to output (MLlib's getLayers). */
  public int[] layers() {
    return network().sizes();
  }

  public NetworkSpec network() {
    return net.spec;
  }

  public float[] weights() {
    return net.params();
  }

  /** The feature scaling the model applies to every row before the network (fitted on the training rows). */
  public io.sparkprop.datasets.FeatureScaling scaling() {
    return net.scaling;
  }

  /** Where the model came from: the fit's uid, seed, training rows and their fingerprint, epochs, Params. */
  public java.util.Map<String, String> provenance() {
    return net.provenance();
  }

  @Override
  public int numFeatures() {
    return net.spec.inputSize();
  }

  @Override
  public double predict(Vector features) {
    return net.logits(features)[0];
  }

  @Override
  public MlpRegressionModel copy(ParamMap extra) {
    return copyValues(new MlpRegressionModel(uid, net.model()), extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return ModelIo.writer(this, net.model());
  }

  public static MLReader<MlpRegressionModel> read() {
    return ModelIo.reader(MlpRegressionModel.class, MlpRegressionModel::new);
  }

  public static MlpRegressionModel load(String path) {
    return read().load(path);
  }
}
