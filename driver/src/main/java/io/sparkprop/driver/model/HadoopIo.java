package io.sparkprop.driver.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Small file helpers over Hadoop's FileSystem that the model, checkpoint and registry formats
 * share: whole-file reads with the length checked first, create-only writes, SHA-256 and the
 * {@code checksums.sha256} manifest (sha256sum's format).
 */
public final class HadoopIo {
  /** Name of the manifest every Sparkprop directory format carries. */
  public static final String CHECKSUMS = "checksums.sha256";

  private HadoopIo() {}

  /** Writes a new file (fails if it exists). */
  public static void write(FileSystem fs, Path p, byte[] data) throws IOException {
    try (OutputStream o = fs.create(p, false)) {
      o.write(data);
    }
  }

  /** Reads exactly {@code len} bytes. */
  public static byte[] read(FileSystem fs, Path p, int len) throws IOException {
    byte[] b = new byte[len];
    try (InputStream in = fs.open(p)) {
      int off = 0;
      while (off < len) {
        int r = in.read(b, off, len - off);
        if (r < 0) throw new IOException(p + " ended after " + off + " of " + len + " bytes");
        off += r;
      }
    }
    return b;
  }

  /** Reads a whole file of at most {@code maxBytes}, refusing larger ones before allocating. */
  public static byte[] readSmall(FileSystem fs, Path p, long maxBytes) throws IOException {
    long len = fs.getFileStatus(p).getLen();
    if (len > maxBytes) throw new IllegalArgumentException(p + " is " + len + " bytes, above the " + maxBytes + "-byte limit");
    return read(fs, p, (int) len);
  }

  public static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /** Float32 values as little-endian bytes. */
  public static byte[] floatBytes(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return b.array();
  }

  /** {@code count} little-endian float32 values starting at byte {@code offset}. */
  public static float[] floats(byte[] bytes, int offset, int count) {
    float[] out = new float[count];
    ByteBuffer.wrap(bytes, offset, count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /** A manifest's text: one "sha256  name" line per file, in the given order. */
  public static String manifest(Map<String, byte[]> files) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, byte[]> e : files.entrySet()) b.append(sha256(e.getValue())).append("  ").append(e.getKey()).append('\n');
    return b.toString();
  }

  /**
   * Parses {@code dir/checksums.sha256} (at most 4 KB), which must name every file in
   * {@code required}; returns name to hex digest.
   */
  public static Map<String, String> readManifest(FileSystem fs, Path dir, List<String> required) throws IOException {
    Path p = new Path(dir, CHECKSUMS);
    if (!fs.exists(p)) throw new IllegalArgumentException(dir + " has no " + CHECKSUMS + "; it is incomplete");
    long len = fs.getFileStatus(p).getLen();
    if (len > 4096) throw new IllegalArgumentException(p + " is " + len + " bytes; expected a few lines of checksums");
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : new String(read(fs, p, (int) len), StandardCharsets.US_ASCII).split("\n")) {
      if (line.isBlank()) continue;
      String[] parts = line.trim().split("\\s+\\*?", 2);
      if (parts.length != 2 || parts[0].length() != 64) throw new IllegalArgumentException(p + " has a malformed line: " + line);
      out.put(parts[1], parts[0]);
    }
    for (String f : required) {
      if (!out.containsKey(f)) throw new IllegalArgumentException(p + " lists no checksum for " + f);
    }
    return out;
  }

  /** Checks {@code data} against a manifest digest, naming the file on mismatch. */
  public static void verify(byte[] data, String expected, String what) {
    String actual = sha256(data);
    if (!actual.equalsIgnoreCase(expected)) {
      throw new IllegalArgumentException(what + " has SHA-256 " + actual + " but " + CHECKSUMS + " says " + expected
          + "; the file was altered or damaged");
    }
  }

  /** The length of a file that must exist, naming the directory when it does not. */
  public static long length(FileSystem fs, Path p, String dir) throws IOException {
    if (!fs.exists(p)) throw new IllegalArgumentException(dir + " has no " + p.getName() + "; it is not complete");
    return fs.getFileStatus(p).getLen();
  }
}
