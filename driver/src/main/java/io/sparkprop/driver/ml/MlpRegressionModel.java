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
public final class MlpRegressionModel extends RegressionModel<Vector, MlpRegressionModel> implements MLWritable {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private final MlpPredictor net;

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

  /** Set by the estimator that fitted this model; null for a loaded or copied one. */
  transient TrainingSummary summary;

  /** Whether this model carries the summary of the fit that made it (a loaded model does not). */
  public boolean hasSummary() {
    return summary != null;
  }

  /** The fit's loss history, validation metric per epoch, best epoch (MLlib's training summary). */
  public TrainingSummary summary() {
    if (summary == null) throw new IllegalStateException("no training summary: this model was loaded or copied, not fitted");
    return summary;
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
