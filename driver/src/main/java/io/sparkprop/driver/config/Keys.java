package io.sparkprop.driver.config;

import java.util.List;

/**
 * Every configuration key Sparkprop reads, with its default and description: the single source
 * for parsing, for the "did you mean" of unknown keys, and for docs/configuration.md.
 */
public final class Keys {
  private Keys() {}

  public static final List<Key> ALL = List.of(
      new Key("run.name", "\"sparkprop\"", "Name of the run: Spark job descriptions, report titles, the model's provenance."),
      new Key("data.format", "\"generated\"", "Source format: idx, libsvm, csv, parquet (any Spark format name also works: orc, json), generated."),
      new Key("data.train", "\"\"", "Training data path (any Hadoop path). For idx: a prefix P reading P-images-idx3-ubyte[.gz] and P-labels-idx1-ubyte[.gz]."),
      new Key("data.validation", "\"\"", "Validation data path; empty: split data.validation-fraction off the training data, or none."),
      new Key("data.validation-fraction", "0.0", "Fraction of the training data held out for validation when data.validation is empty (0: no validation)."),
      new Key("data.test", "\"\"", "Test data path, evaluated once after training; empty: none."),
      new Key("data.label-columns", "[\"label\"]", "csv: label column names (with a header) or 0-based indices; parquet: the label column (first entry)."),
      new Key("data.feature-columns", "[]", "csv: feature columns (empty: all others); parquet: the vector or array features column (first entry, default 'features')."),
      new Key("data.weight-column", "\"\"", "Column of example weights; empty: every example weighs 1."),
      new Key("data.header", "true", "csv: whether the first line of each file names the columns."),
      new Key("data.delimiter", "\",\"", "csv: the field separator (one character; \"\\t\" for tabs)."),
      new Key("data.features", "0", "libsvm: feature count (0: infer from the largest index)."),
      new Key("data.bad-rows", "\"fail\"", "What to do with a row that breaks a rule: fail (stop before training) or drop (skip and report the count)."),
      new Key("data.scaling", "\"none\"", "Feature scaling fitted on the training data and stored with the model: none, min-max, standard."),
      new Key("data.generator.name", "\"spirals\"", "data.format=generated: xor, moons, spirals, blobs, teacher, teacher-regression."),
      new Key("data.generator.rows", "3000", "Generated training rows (validation and test sets get a quarter each, from other seeds)."),
      new Key("data.generator.noise", "0.1", "Noise of xor, moons and spirals."),
      new Key("data.generator.arms", "3", "Arms of spirals (= classes)."),
      new Key("data.generator.turns", "1.0", "Turns of each spiral arm."),
      new Key("data.generator.features", "10", "Features of blobs and teacher."),
      new Key("data.generator.classes", "3", "Classes of blobs and teacher; outputs of teacher-regression."),
      new Key("data.generator.hidden", "32", "Hidden units of the teacher network."),
      new Key("model.layers", null, "Layer sizes from input to output, e.g. [784, 256, 128, 10]; [n, k] is logistic/softmax/linear regression."),
      new Key("model.activation", "\"relu\"", "Hidden activation for every hidden layer: sigmoid, tanh, relu, leaky-relu, leaky-relu(SLOPE), identity, softplus, gelu; or a list, one per hidden layer."),
      new Key("model.output", "\"softmax\"", "Output head: softmax (cross-entropy, classes), sigmoid (binary cross-entropy, binary/multi-label), linear (squared error, regression)."),
      new Key("model.init", "\"he-normal\"", "Weight initialisation: normal, normal(SIGMA), xavier-uniform, xavier-normal, he-normal, he-uniform, mllib-uniform."),
      new Key("optimizer.name", "\"adam\"", "sgd, momentum, nesterov, adam, adamw."),
      new Key("optimizer.learning-rate", "0.001", "Base learning rate (> 0)."),
      new Key("optimizer.momentum", "0.9", "Momentum of momentum and nesterov, in [0, 1)."),
      new Key("optimizer.beta1", "0.9", "Adam's first-moment decay, in [0, 1)."),
      new Key("optimizer.beta2", "0.999", "Adam's second-moment decay, in [0, 1)."),
      new Key("optimizer.weight-decay", "0.0", "L2 weight decay (coupled for sgd/momentum/nesterov/adam, decoupled for adamw), >= 0."),
      new Key("optimizer.clip-norm", "0.0", "Clip the gradient to this global L2 norm (0: off)."),
      new Key("optimizer.schedule", "\"constant\"", "Learning-rate schedule: constant, step, exponential, cosine."),
      new Key("optimizer.warmup-steps", "0", "Linear warmup steps before the schedule."),
      new Key("optimizer.decay-steps", "0", "step/exponential: steps per decay by gamma; cosine: decay length (0: the whole run after warmup)."),
      new Key("optimizer.gamma", "0.5", "Decay factor of step and exponential, in (0, 1]."),
      new Key("optimizer.min-factor", "0.0", "Cosine: the final learning rate as a fraction of the base, in [0, 1]."),
      new Key("training.batch-size", "256", "Global minibatch size across all partitions."),
      new Key("training.epochs", "10", "Epochs to train."),
      new Key("training.seed", "1", "Seed of the initial weights, the shuffles and the splits."),
      new Key("training.partitions", "0", "Partitions of the training data (0: Spark's default parallelism, one per core)."),
      new Key("training.drop-last", "false", "Skip each epoch's last batch when it is short."),
      new Key("training.block-rows", "256", "Rows per forward/backward GEMM block on an executor."),
      new Key("training.patience", "0", "Stop after this many validation evaluations without improvement (0: never)."),
      new Key("training.eval-every", "1", "Evaluate on the validation set every this many epochs."),
      new Key("training.init-from", "\"\"", "A model directory to warm-start from (same layers); empty: fresh weights."),
      new Key("output.model", "\"\"", "Directory to write the trained model to (must not exist; written atomically; {time} becomes yyyyMMdd-HHmmss); empty: do not save."),
      new Key("output.dir", "\"runs/sparkprop\"", "Run output folder: metrics.jsonl, report.html and its charts."),
      new Key("output.checkpoints", "\"\"", "Checkpoint folder (reserved for resumable training; not yet written)."),
      new Key("output.step-metrics", "false", "Also write one metrics line per step to metrics.jsonl."));
}
