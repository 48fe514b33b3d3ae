package io.sparkprop.driver.it;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * A real HDFS for a test class: {@code bin/hdfs start} (a namenode and a datanode in a JVM of
 * their own, on loopback), a client for it, and {@code bin/hdfs stop}. The clients under test (the
 * CLI, spark-submit) reach it over HDFS's RPC like any other cluster.
 */
final class MiniHdfs implements AutoCloseable {
  final String url; // hdfs://127.0.0.1:PORT
  final FileSystem fs;
  private final Path state;

  private MiniHdfs(String url, FileSystem fs, Path state) {
    this.url = url;
    this.fs = fs;
    this.state = state;
  }

  static MiniHdfs start(Path state) throws Exception {
    Process p = command(state, "start").redirectOutput(ProcessBuilder.Redirect.PIPE).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("bin/hdfs start failed: " + out + "\n" + Files.readString(state.resolve("start.log")));
    }
    String url = out.substring(out.lastIndexOf('\n') + 1).trim();
    Configuration conf = new Configuration();
    conf.set("fs.defaultFS", url);
    return new MiniHdfs(url, FileSystem.newInstance(URI.create(url), conf), state);
  }

  private static ProcessBuilder command(Path state, String what) throws IOException {
    Files.createDirectories(state);
    ProcessBuilder b = new ProcessBuilder(StandaloneClusterIT.REPO.resolve("bin/hdfs").toString(), what)
        .directory(StandaloneClusterIT.REPO.toFile()).redirectError(state.resolve(what + ".log").toFile());
    b.environment().put("SPARKPROP_HDFS_DIR", state.resolve("hdfs").toString());
    return b;
  }

  /** The full URL of an absolute path on this HDFS. */
  String path(String p) {
    return url + p;
  }

  void put(Path local, String remote) throws IOException {
    fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path(path(remote)));
  }

  byte[] read(String remote) throws IOException {
    try (var in = fs.open(new org.apache.hadoop.fs.Path(path(remote)))) {
      return in.readAllBytes();
    }
  }

  boolean exists(String remote) throws IOException {
    return fs.exists(new org.apache.hadoop.fs.Path(path(remote)));
  }

  @Override
  public void close() throws Exception {
    fs.close();
    command(state, "stop").start().waitFor(60, TimeUnit.SECONDS);
  }

  /**
   * Writes rows [from, to) of an IDX image file and its label file (gzip) to {@code prefix}-images-idx3-ubyte.gz
   * and {@code prefix}-labels-idx1-ubyte.gz: a slice of Fashion-MNIST as a day's data.
   */
  static void idxSlice(Path images, Path labels, int from, int to, Path prefix) throws IOException {
    byte[] img = gunzip(images);
    byte[] lab = gunzip(labels);
    int n = to - from;
    ByteBuffer ih = ByteBuffer.wrap(img, 0, 16);
    int magic = ih.getInt();
    ih.getInt();
    int rows = ih.getInt();
    int cols = ih.getInt();
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(Path.of(prefix + "-images-idx3-ubyte.gz")))) {
      o.write(ByteBuffer.allocate(16).putInt(magic).putInt(n).putInt(rows).putInt(cols).array());
      o.write(img, 16 + from * rows * cols, n * rows * cols);
    }
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(Path.of(prefix + "-labels-idx1-ubyte.gz")))) {
      o.write(ByteBuffer.allocate(8).putInt(ByteBuffer.wrap(lab, 0, 4).getInt()).putInt(n).array());
      o.write(lab, 8 + from, n);
    }
  }

  private static byte[] gunzip(Path p) throws IOException {
    if (!p.toString().endsWith(".gz")) return Files.readAllBytes(p);
    try (var in = new GZIPInputStream(Files.newInputStream(p))) {
      return in.readAllBytes();
    }
  }
}
