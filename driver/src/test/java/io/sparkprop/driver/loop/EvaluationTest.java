package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.SparkTestContext;
import io.sparkprop.driver.TestSets;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.data.Placement;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.nn.Workspace;
import io.sparkprop.trainer.optim.Optimizer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * The confusion matrix counted in the evaluation's own pass (what the report and {@code evaluate}
 * print) against predictions made on the driver with {@link Network#predict}, one example at a
 * time, over blocks grouped several to a task.
 */
class EvaluationTest {
  static final NetworkSpec NET = NetworkSpec.of(new int[] {6, 20, 4}, Activation.TANH, Head.SOFTMAX_CROSS_ENTROPY);
  static final TrainingSpec SPEC = new TrainingSpec(NET, Init.of(Init.Kind.XAVIER_NORMAL), Optimizer.sgd(0.1), 64, false, 3, 32);

  @Test
  void confusion_isTheSamePassesPredictions_andItsDiagonalIsTheAccuracy() {
    JavaSparkContext sc = SparkTestContext.get();
    Examples all = TestSets.blobs(700, 6, 4, false, 5);
    float[] params = Init.of(Init.Kind.XAVIER_NORMAL).initialise(NET, 9);
    long[][] expected = new long[4][4];
    Network net = new Network(NET);
    float[] p = new float[4];
    for (int r = 0; r < all.rows(); r++) {
      net.predict(params, all.x(), r, 1, new Workspace(NET, 1), p, 0);
      expected[(int) all.y()[r]][Network.argmax(p, 0, 4)]++;
    }
    PackedData data = PackedData.pack(LocalExamples.distribute(sc, all, 5, "blobs"), NET, StorageLevel.MEMORY_AND_DISK(),
        Placement.MEMORY, 64L << 20, 2);
    try {
      Evaluator.Evaluation e = Evaluator.evaluate(sc, SPEC, params, data, "confusion", true);
      for (int i = 0; i < 4; i++) assertArrayEquals(expected[i], e.confusion()[i], "true class " + i);
      long diagonal = 0;
      for (int i = 0; i < 4; i++) diagonal += e.confusion()[i][i];
      assertEquals(diagonal / 700.0, e.sums().accuracy(), 1e-12);
      EvalSums alone = Evaluator.evaluate(sc, SPEC, params, data, "sums");
      assertEquals(alone, e.sums(), "asking for the matrix changes no sum");
      assertNull(Evaluator.evaluate(sc, SPEC, params, data, "no matrix", false).confusion());
    } finally {
      data.unpersist();
    }
  }

  @Test
  void confusion_onlyForASoftmaxHead() {
    NetworkSpec sigmoid = NetworkSpec.of(new int[] {6, 4}, Activation.TANH, Head.SIGMOID_BINARY_CROSS_ENTROPY);
    Examples one = new Examples(0, 1, 6, 4, new float[6], new float[4], null);
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> new Network(sigmoid)
        .evaluate(Init.of(Init.Kind.XAVIER_NORMAL).initialise(sigmoid, 1), one, new Workspace(sigmoid, 4), new long[16]));
    assertTrue(bad.getMessage().contains("softmax"), bad.getMessage());
  }
}
