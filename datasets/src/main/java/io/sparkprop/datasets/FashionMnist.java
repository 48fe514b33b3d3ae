package io.sparkprop.datasets;

import org.apache.spark.api.java.JavaSparkContext;

/** Fashion-MNIST (60,000 training and 10,000 test images, 28x28, 10 classes) in IDX form. */
public final class FashionMnist {
  /** Where Debian's {@code dataset-fashion-mnist} package puts the files. */
  public static final String DEFAULT_DIR = "/usr/share/datasets/fashion-mnist";

  private FashionMnist() {}

  /** The 60,000 training images from {@code dir}. */
  public static ExampleSet train(JavaSparkContext sc, String dir, int partitions) {
    return IdxReader.read(sc, dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz", partitions);
  }

  /** The 10,000 test images from {@code dir}. */
  public static ExampleSet test(JavaSparkContext sc, String dir, int partitions) {
    return IdxReader.read(sc, dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz", partitions);
  }

  /** Whether the default directory holds the files (for tests that need them). */
  public static boolean installed() {
    return new java.io.File(DEFAULT_DIR, "train-images-idx3-ubyte.gz").isFile();
  }
}
