package io.sparkprop.driver.ml;

import io.sparkprop.driver.model.Model;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.NetworkSpec;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;

/**
 * A fitted {@link MlpClassifier}: rawPrediction = the output layer's logits, probability =
 * their softmax, prediction = the most probable class. Saved with {@link #write()} and loaded with
 * {@link #load(String)} (also inside a saved {@code PipelineModel}).
 */
public final class MlpClassificationModel extends ProbabilisticClassificationModel<Vector, MlpClassificationModel>
    implements MLWritable, FittedMlp {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private final MlpPredictor net;

  /**
   * Only for discovery: Spark Connect finds model classes through {@link java.util.ServiceLoader},
   * which requires a public no-argument constructor but never calls it. A model is made by
   * {@code MlpClassifier.fit} or {@link #load(String)}.
   */
  public MlpClassificationModel() {
    this(Uids.park("MlpClassificationModel"), false);
  }

  private MlpClassificationModel(Uids.Parked parked, boolean unused) {
    super();
    Uids.take();
    throw new UnsupportedOperationException("an MlpClassificationModel is made by MlpClassifier.fit or MlpClassificationModel.load(path)");
  }

  public MlpClassificationModel(String uid, NetworkSpec spec, float[] params) {
    this(uid, MlpPredictor.unscaled(spec, params));
  }

  /** The network, weights, feature scaling and provenance of a Sparkprop model. */
  public MlpClassificationModel(String uid, Model model) {
    this(Uids.park(uid), model);
  }

  private MlpClassificationModel(Uids.Parked parked, Model model) {
    super();
    this.uid = Uids.take();
    NetworkSpec spec = model.spec();
    if (spec.head() != Head.SOFTMAX_CROSS_ENTROPY) {
      throw new IllegalArgumentException("a classification model needs a softmax output, got " + spec);
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

  /** The feature scaling the model applies to every row before the network (fitted on the training rows). */
  public io.sparkprop.datasets.FeatureScaling scaling() {
    return net.scaling;
  }

  /** Where the model came from: the fit's uid, seed, training rows and their fingerprint, epochs, Params. */
  public java.util.Map<String, String> provenance() {
    return net.provenance();
  }

  /** A copy of the flat parameters (engine layout). */
  public float[] weights() {
    return net.params();
  }

  /**
   * No training summary is kept. Both Scala superclasses declare this with covariant return
   * types that Java generics cannot relate, so it is overridden with the raw type.
   */
  @Override
  @SuppressWarnings("rawtypes")
  public scala.Tuple3 findSummaryModel() {
    return super.findSummaryModel();
  }

  @Override
  public int numClasses() {
    return net.spec.outputSize();
  }

  @Override
  public int numFeatures() {
    return net.spec.inputSize();
  }

  @Override
  public Vector predictRaw(Vector features) {
    return Vectors.dense(net.logits(features));
  }

  @Override
  public Vector raw2probabilityInPlace(Vector raw) {
    double[] v = ((DenseVector) raw).values();
    double max = Double.NEGATIVE_INFINITY;
    for (double x : v) max = Math.max(max, x);
    double sum = 0;
    for (int j = 0; j < v.length; j++) sum += v[j] = Math.exp(v[j] - max);
    for (int j = 0; j < v.length; j++) v[j] /= sum;
    return raw;
  }

  @Override
  public MlpClassificationModel copy(ParamMap extra) {
    return copyValues(new MlpClassificationModel(uid, net.model()), extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return ModelIo.writer(this, net.model());
  }

  public static MLReader<MlpClassificationModel> read() {
    return ModelIo.reader(MlpClassificationModel.class, MlpClassificationModel::new);
  }

  public static MlpClassificationModel load(String path) {
    return read().load(path);
  }
}
