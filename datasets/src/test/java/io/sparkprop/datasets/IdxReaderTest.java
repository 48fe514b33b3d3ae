package io.sparkprop.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.data.Examples;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX files written by the test itself, plain and gzip, good and broken. */
class IdxReaderTest {
  @TempDir Path dir;
  final Configuration conf = new Configuration();

  static byte[] images(int magic, int n, int rows, int cols, int dataBytes) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream o = new DataOutputStream(b);
    o.writeInt(magic);
    o.writeInt(n);
    o.writeInt(rows);
    o.writeInt(cols);
    for (int i = 0; i < dataBytes; i++) o.writeByte(i * 37);
    return b.toByteArray();
  }

  static byte[] labels(int magic, int n, int dataBytes) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream o = new DataOutputStream(b);
    o.writeInt(magic);
    o.writeInt(n);
    for (int i = 0; i < dataBytes; i++) o.writeByte(i % 10);
    return b.toByteArray();
  }

  String write(String name, byte[] data, boolean gzip) throws IOException {
    Path p = dir.resolve(name);
    try (OutputStream o = gzip ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
      o.write(data);
    }
    return p.toString();
  }

  @Test
  void plainAndGzip_readTheSameScaledPixelsAndLabels() throws IOException {
    byte[] img = images(0x803, 3, 2, 2, 12);
    byte[] lab = labels(0x801, 3, 3);
    Examples a = IdxReader.readLocal(conf, write("i", img, false), write("l", lab, false));
    Examples b = IdxReader.readLocal(conf, write("i.gz", img, true), write("l.gz", lab, true));
    assertEquals(3, a.rows());
    assertEquals(4, a.features());
    for (int i = 0; i < 12; i++) {
      assertEquals(((i * 37) & 0xff) / 255f, a.x()[i], 0f);
      assertEquals(a.x()[i], b.x()[i], 0f);
    }
    assertEquals(2f, a.y()[2], 0f);
  }

  @Test
  void wrongMagic_truncation_andLengthMismatch_areNamed() throws IOException {
    String goodLab = write("l", labels(0x801, 3, 3), false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> IdxReader.readLocal(conf, write("bad", images(0x801, 3, 2, 2, 12), false), goodLab));
    assertTrue(e.getMessage().contains("magic number 0x801") && e.getMessage().contains("bad"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> IdxReader.readLocal(conf, write("short.gz", images(0x803, 3, 2, 2, 7), true), goodLab));
    assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("12 data bytes")
        && e.getMessage().contains("after 7"), e.getMessage());

    String img = write("i", images(0x803, 3, 2, 2, 12), false);
    e = assertThrows(IllegalArgumentException.class,
        () -> IdxReader.readLocal(conf, img, write("l4", labels(0x801, 4, 4), false)));
    assertTrue(e.getMessage().contains("3 images") && e.getMessage().contains("4 labels"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> IdxReader.readLocal(conf, write("head", new byte[] {0, 0, 8, 3, 0, 0}, false), goodLab));
    assertTrue(e.getMessage().contains("truncated inside its header"), e.getMessage());
  }

  @Test
  void distributedRead_equalsLocalReadAndReportsTruncationFromTheTask() throws IOException {
    byte[] img = images(0x803, 7, 2, 2, 28);
    byte[] lab = labels(0x801, 7, 7);
    String i = write("d.gz", img, true);
    String l = write("dl", lab, false);
    Examples local = IdxReader.readLocal(conf, i, l);
    Examples dist = Collect.all(IdxReader.read(Spark.sc(), i, l, 3));
    org.junit.jupiter.api.Assertions.assertArrayEquals(local.x(), dist.x(), 0f);
    org.junit.jupiter.api.Assertions.assertArrayEquals(local.y(), dist.y(), 0f);
    String cut = write("cut", images(0x803, 7, 2, 2, 20), false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Collect.all(IdxReader.read(Spark.sc(), cut, l, 3)));
    assertTrue(e.getMessage().contains("cut is truncated"), e.getMessage());
  }

  @Test
  void missingFile_saysHowToInstallFashionMnist() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> IdxReader.readLocal(conf, FashionMnist.DEFAULT_DIR + "/nope.gz", "x"));
    assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> IdxReader.readLocal(conf, dir.resolve("none").toString(), "x"));
    assertTrue(e.getMessage().contains("no such file"), e.getMessage());
  }
}
