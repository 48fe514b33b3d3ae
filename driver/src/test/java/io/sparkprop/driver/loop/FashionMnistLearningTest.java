package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.FashionMnist;
import io.sparkprop.driver.SparkTestContext;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.LrSchedule;
import io.sparkprop.trainer.optim.Optimizer;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * End-to-end learning on Fashion-MNIST (Debian's dataset-fashion-mnist, which .ci/run installs):
 * a short distributed run of 784-256-128-10 reaches at least 0.84 test accuracy.
 */
class FashionMnistLearningTest {

  @Test
  void shortRun_reaches084TestAccuracy() {
    assertTrue(FashionMnist.installed(), "Fashion-MNIST is missing: apt-get install dataset-fashion-mnist");
    JavaSparkContext sc = SparkTestContext.get();
    NetworkSpec net = NetworkSpec.of(new int[] {784, 256, 128, 10}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    int epochs = 2;
    int batch = 256;
    long steps = epochs * ((60000 + batch - 1) / batch);
    Optimizer opt = Optimizer.adam(2e-3).withSchedule(LrSchedule.cosine(steps, 0.05).withWarmup(20));
    TrainingSpec spec = new TrainingSpec(net, Init.of(Init.Kind.HE_NORMAL), opt, batch, false, 1, 256);
    PackedData train = DistributedTrainer.pack(FashionMnist.train(sc, FashionMnist.DEFAULT_DIR, 2), spec);
    PackedData test = DistributedTrainer.pack(FashionMnist.test(sc, FashionMnist.DEFAULT_DIR, 2), spec);
    DistributedTrainer t = new DistributedTrainer(sc, spec, train, "fashion-mnist-test");
    long t0 = System.nanoTime();
    FitResult r = t.fit(new FitOptions(epochs, test, 1, 0), e -> System.out.printf(
        "epoch %d: train loss %.4f, test accuracy %.4f, %.1f s, %.0f examples/s%n",
        e.epoch(), e.trainLoss(), e.validation().accuracy(), e.seconds(), e.examplesPerSecond()));
    double secs = (System.nanoTime() - t0) / 1e9;
    EvalSums e = Evaluator.evaluate(sc, spec, r.params(), test, "final");
    System.out.printf("Fashion-MNIST: test accuracy %.4f after %d epochs in %.1f s%n", e.accuracy(), epochs, secs);
    assertTrue(e.accuracy() >= 0.84, "test accuracy " + e.accuracy());
    train.unpersist();
    test.unpersist();
  }
}
