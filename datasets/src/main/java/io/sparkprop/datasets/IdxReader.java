package io.sparkprop.datasets;

import io.sparkprop.trainer.data.Examples;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST: an images file (magic 0x00000803: unsigned
 * bytes, 3 dimensions: count x rows x cols) and a labels file (magic 0x00000801: count bytes),
 * each plain or gzip-compressed (recognised by its first two bytes), from any Hadoop path.
 * Pixels become features in [0, 1] (value / 255); labels become class indices.
 *
 * <p>Both files are read and checked on the driver (gzip cannot be split), then distributed in
 * contiguous slices. Every defect is reported with the file and what was expected: a wrong magic
 * number, a truncated file, or images and labels of different counts.
 */
public final class IdxReader {
  static final int IMAGES_MAGIC = 0x00000803;
  static final int LABELS_MAGIC = 0x00000801;

  private IdxReader() {}

  /**
   * Checks both headers on the driver, then lets each of {@code partitions} tasks read its own
   * contiguous slice of rows from the files (so that partitions carry only their bounds, and a
   * lost partition is recomputed by reading the files again).
   */
  public static ExampleSet read(JavaSparkContext sc, String images, String labels, int partitions) {
    if (partitions < 1) throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    Configuration conf = sc.hadoopConfiguration();
    int[] shape = header(conf, images, IMAGES_MAGIC);
    int[] lshape = header(conf, labels, LABELS_MAGIC);
    if (lshape[0] != shape[0]) {
      throw new IllegalArgumentException(images + " holds " + shape[0] + " images but " + labels + " holds " + lshape[0]
          + " labels; the two files must come from the same set");
    }
    int n = shape[0];
    if (n == 0) throw new IllegalArgumentException(images + " holds no images");
    java.util.List<int[]> ranges = new java.util.ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      int lo = (int) ((long) n * p / partitions);
      int hi = (int) ((long) n * (p + 1) / partitions);
      ranges.add(new int[] {lo, hi});
    }
    // broadcast once: a configuration captured in the function is serialized (gzip-compressed
    // strings) into every job's task binary and read back by every task
    org.apache.spark.broadcast.Broadcast<org.apache.spark.util.SerializableConfiguration> sconf =
        sc.broadcast(new org.apache.spark.util.SerializableConfiguration(conf));
    org.apache.spark.api.java.JavaRDD<Examples> blocks = Rdds.map(sc.parallelize(ranges, partitions),
        r -> readRows(sconf.value().value(), images, labels, r[0], r[1]));
    return new ExampleSet(blocks, shape[1] * shape[2], 1, "IDX " + images);
  }

  /** Reads and checks a file's header: {count, rows, cols} for images, {count, 1, 1} for labels. */
  static int[] header(Configuration conf, String path, int expectMagic) {
    try (DataInputStream in = open(conf, path)) {
      int magic = in.readInt();
      if (magic != expectMagic) throw wrongMagic(path, magic, expectMagic);
      int[] shape = expectMagic == IMAGES_MAGIC ? new int[] {in.readInt(), in.readInt(), in.readInt()}
          : new int[] {in.readInt(), 1, 1};
      for (int s : shape) {
        if (s < 0) throw new IllegalArgumentException(path + " declares a negative dimension " + s);
      }
      if ((long) shape[0] * shape[1] * shape[2] > Integer.MAX_VALUE - 8 || (long) shape[1] * shape[2] == 0) {
        throw new IllegalArgumentException(path + " declares " + shape[0] + " items of " + shape[1] + "x" + shape[2]
            + "; items must be non-empty and the data below 2 GB");
      }
      return shape;
    } catch (IOException e) {
      throw ioError(path, e);
    }
  }

  /** Rows [lo, hi) of the two files (each task streams past the rows before its slice). */
  static Examples readRows(Configuration conf, String images, String labels, int lo, int hi) {
    int[] shape = header(conf, images, IMAGES_MAGIC);
    int d = shape[1] * shape[2];
    int n = hi - lo;
    byte[] px;
    byte[] lab;
    try (DataInputStream in = open(conf, images)) {
      in.skipNBytes(16);
      skip(in, (long) lo * d, images, 16);
      px = readFully(in, n * d, images, 16, (long) lo * d);
    } catch (IOException e) {
      throw ioError(images, e);
    }
    try (DataInputStream in = open(conf, labels)) {
      in.skipNBytes(8);
      skip(in, lo, labels, 8);
      lab = readFully(in, n, labels, 8, lo);
    } catch (IOException e) {
      throw ioError(labels, e);
    }
    float[] x = new float[n * d];
    for (int i = 0; i < x.length; i++) x[i] = (px[i] & 0xff) / 255f;
    float[] y = new float[n];
    for (int i = 0; i < n; i++) y[i] = lab[i] & 0xff;
    return new Examples(0, n, d, 1, x, y, null);
  }

  private static void skip(DataInputStream in, long n, String path, int header) throws IOException {
    long left = n;
    while (left > 0) {
      long s = in.skip(left);
      if (s <= 0) {
        if (in.read() < 0) {
          throw new IllegalArgumentException(path + " is truncated: the file ends " + (n - left)
              + " data bytes after the " + header + "-byte header, before the " + n + " bytes its header promises");
        }
        s = 1;
      }
      left -= s;
    }
  }

  private static IllegalArgumentException wrongMagic(String path, int magic, int expect) {
    return new IllegalArgumentException(path + " is not an IDX " + (expect == IMAGES_MAGIC ? "images" : "labels")
        + " file: magic number 0x" + Integer.toHexString(magic) + ", expected 0x0000080"
        + (expect == IMAGES_MAGIC ? "3 (unsigned bytes, 3 dimensions)" : "1 (unsigned bytes, 1 dimension)"));
  }

  /** Reads both files into one block on the calling JVM. */
  public static Examples readLocal(Configuration conf, String images, String labels) {
    byte[][] img = new byte[1][];
    int[] shape;
    try (DataInputStream in = open(conf, images)) {
      int magic = in.readInt();
      if (magic != IMAGES_MAGIC) {
        throw new IllegalArgumentException(images + " is not an IDX images file: magic number 0x"
            + Integer.toHexString(magic) + ", expected 0x00000803 (unsigned bytes, 3 dimensions)");
      }
      shape = new int[] {in.readInt(), in.readInt(), in.readInt()};
      for (int s : shape) {
        if (s < 0) throw new IllegalArgumentException(images + " declares a negative dimension " + s);
      }
      long bytes = (long) shape[0] * shape[1] * shape[2];
      if (bytes > Integer.MAX_VALUE - 8 || shape[1] * (long) shape[2] == 0) {
        throw new IllegalArgumentException(images + " declares " + shape[0] + " images of " + shape[1] + "x" + shape[2]
            + " pixels; images must be non-empty and the file below 2 GB");
      }
      img[0] = readFully(in, (int) bytes, images, 16, 0);
    } catch (IOException e) {
      throw ioError(images, e);
    }
    byte[] lab;
    int count;
    try (DataInputStream in = open(conf, labels)) {
      int magic = in.readInt();
      if (magic != LABELS_MAGIC) {
        throw new IllegalArgumentException(labels + " is not an IDX labels file: magic number 0x"
            + Integer.toHexString(magic) + ", expected 0x00000801 (unsigned bytes, 1 dimension)");
      }
      count = in.readInt();
      if (count < 0) throw new IllegalArgumentException(labels + " declares a negative label count " + count);
      lab = readFully(in, count, labels, 8, 0);
    } catch (IOException e) {
      throw ioError(labels, e);
    }
    if (count != shape[0]) {
      throw new IllegalArgumentException(images + " holds " + shape[0] + " images but " + labels + " holds " + count
          + " labels; the two files must come from the same set");
    }
    if (count == 0) throw new IllegalArgumentException(images + " holds no images");
    int d = shape[1] * shape[2];
    float[] x = new float[count * d];
    byte[] px = img[0];
    for (int i = 0; i < x.length; i++) x[i] = (px[i] & 0xff) / 255f;
    float[] y = new float[count];
    for (int i = 0; i < count; i++) y[i] = lab[i] & 0xff;
    return new Examples(0, count, d, 1, x, y, null);
  }

  private static byte[] readFully(DataInputStream in, int n, String path, int header, long before) throws IOException {
    byte[] b = new byte[n];
    int off = 0;
    while (off < n) {
      int r = in.read(b, off, n - off);
      if (r < 0) {
        throw new IllegalArgumentException(path + " is truncated: the data after its " + header
            + "-byte header ends after " + (before + off) + " bytes, short of the " + (before + n) + " bytes its header promises ("
            + n + " data bytes expected from byte " + before + ")");
      }
      off += r;
    }
    return b;
  }

  private static DataInputStream open(Configuration conf, String path) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    InputStream raw;
    try {
      raw = new BufferedInputStream(fs.open(p), 1 << 16);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException(missing(path), e);
    }
    raw.mark(2);
    int b0 = raw.read();
    int b1 = raw.read();
    raw.reset();
    if (b0 == 0x1f && b1 == 0x8b) {
      return new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16));
    }
    return new DataInputStream(raw);
  }

  static String missing(String path) {
    String hint = path.contains(FashionMnist.DEFAULT_DIR)
        ? "; Fashion-MNIST comes from Debian's package: apt-get install dataset-fashion-mnist"
        : "; check the path (any Hadoop path works: file:, hdfs:, s3a:)";
    return "cannot read " + path + ": no such file" + hint;
  }

  private static RuntimeException ioError(String path, IOException e) {
    if (e instanceof EOFException) {
      return new IllegalArgumentException(path + " is truncated inside its header", e);
    }
    return new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
  }
}
