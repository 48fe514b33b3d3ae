package io.sparkprop.driver.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {
  @TempDir Path dir;
  final Configuration conf = new Configuration();

  static Model model() {
    NetworkSpec spec = new NetworkSpec(new int[] {3, 5, 4, 2}, List.of(Activation.GELU, Activation.leakyRelu(0.1)),
        Head.SOFTMAX_CROSS_ENTROPY);
    return new Model(spec, Init.of(Init.Kind.HE_NORMAL).initialise(spec, 3),
        new FeatureScaling(FeatureScaling.Kind.STANDARD, new float[] {1, 2, 3}, new float[] {0.5f, 2, 1}), List.of("cat", "dog"),
        Map.of("run", "t", "config", "{\"a\":1}"), Map.of("test_accuracy", 0.9));
  }

  @Test
  void roundTrip_givesIdenticalPredictionsAndMetadata() throws Exception {
    Model m = model();
    String d = dir.resolve("m1").toString();
    ModelFiles.save(m, d, conf);
    Model back = ModelFiles.load(d, conf);
    assertEquals(m.spec(), back.spec());
    assertArrayEquals(m.params(), back.params(), 0f);
    assertEquals(List.of("cat", "dog"), back.labels());
    assertEquals(0.9, back.metrics().get("test_accuracy"), 0);
    float[] x = new float[30];
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
    assertArrayEquals(m.predict(x, 10), back.predict(x, 10), 0f);
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of("m1"), files.map(p -> p.getFileName().toString()).toList(), "no temporary directory left");
    }
  }

  @Test
  void weightsBin_isLittleEndianFloat32InEngineLayout() throws Exception {
    Model m = model();
    String d = dir.resolve("m").toString();
    ModelFiles.save(m, d, conf);
    byte[] b = Files.readAllBytes(dir.resolve("m/weights.bin"));
    assertEquals(4 * m.spec().paramCount(), b.length);
    int bits = (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    assertEquals(m.params()[0], Float.intBitsToFloat(bits), 0f);
  }

  @Test
  void existingDirectory_isNeverOverwritten() {
    String d = dir.resolve("m").toString();
    ModelFiles.save(model(), d, conf);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.save(model(), d, conf));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
  }

  @Test
  void truncatedAlteredAndForeignFiles_areRejectedWithTheReason() throws Exception {
    Path m = dir.resolve("m");
    ModelFiles.save(model(), m.toString(), conf);
    byte[] w = Files.readAllBytes(m.resolve("weights.bin"));
    byte[] json = Files.readAllBytes(m.resolve("model.json"));

    Files.write(m.resolve("weights.bin"), java.util.Arrays.copyOf(w, w.length - 4));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(m.toString(), conf));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());

    byte[] flipped = w.clone();
    flipped[10] ^= 1;
    Files.write(m.resolve("weights.bin"), flipped);
    e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(m.toString(), conf));
    assertTrue(e.getMessage().contains("weights.bin has SHA-256") && e.getMessage().contains("altered"), e.getMessage());
    Files.write(m.resolve("weights.bin"), w);

    String hostile = new String(json, java.nio.charset.StandardCharsets.UTF_8).replace("[ 3, 5, 4, 2 ]", "[ 3, 2000000000, 4, 2 ]");
    Files.writeString(m.resolve("model.json"), hostile);
    e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(m.toString(), conf));
    assertTrue(e.getMessage().contains("model.json has SHA-256"), e.getMessage());
    // with a matching checksum the size check still stops it before any allocation
    rewriteChecksum(m, hostile);
    e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(m.toString(), conf));
    assertTrue(e.getMessage().contains("more than"), e.getMessage());

    String v2 = new String(json, java.nio.charset.StandardCharsets.UTF_8).replace("\"formatVersion\" : 1", "\"formatVersion\" : 2");
    Files.writeString(m.resolve("model.json"), v2);
    rewriteChecksum(m, v2);
    e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(m.toString(), conf));
    assertTrue(e.getMessage().contains("format version 2"), e.getMessage());

    Files.delete(m.resolve("checksums.sha256"));
    e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(m.toString(), conf));
    assertTrue(e.getMessage().contains("no checksums.sha256"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(dir.resolve("nothing").toString(), conf));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  static void rewriteChecksum(Path m, String json) throws Exception {
    String sums = Files.readString(m.resolve("checksums.sha256"));
    String newSum = ModelFiles.sha256(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Files.writeString(m.resolve("checksums.sha256"), sums.replaceFirst("^[0-9a-f]{64}", newSum));
  }

  @Test
  void nonFiniteWeights_areNeverWritten() {
    Model m = model();
    float[] p = m.params();
    p[3] = Float.NaN;
    Model bad = new Model(m.spec(), p, m.scaling(), m.labels(), m.provenance(), m.metrics());
    String d = dir.resolve("nan").toString();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.save(bad, d, conf));
    assertTrue(e.getMessage().contains("parameter 3 is NaN"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("nan")));
  }

  @Test
  void optimizerState_roundTrips_andIsCheckedAgainstTheOptimizer() {
    Model m = model();
    int slots = 2 * m.spec().paramCount();
    float[] v = new float[slots];
    for (int i = 0; i < slots; i++) v[i] = i * 0.5f;
    String d = dir.resolve("opt").toString();
    ModelFiles.save(m, d, conf, io.sparkprop.trainer.optim.OptimizerState.restore(40, v, 2), "ADAM");
    io.sparkprop.trainer.optim.OptimizerState back = ModelFiles.loadOptimizerState(d, conf, "ADAM", slots);
    assertEquals(0, back.step());
    assertEquals(42, back.priorSteps(), "the saved run's steps, and the steps before it");
    assertArrayEquals(v, back.snapshot(), 0f);
    IllegalArgumentException kind = assertThrows(IllegalArgumentException.class,
        () -> ModelFiles.loadOptimizerState(d, conf, "MOMENTUM", slots / 2));
    assertTrue(kind.getMessage().contains("holds ADAM optimizer state but optimizer.name is momentum"), kind.getMessage());
    String plain = dir.resolve("plain").toString();
    ModelFiles.save(m, plain, conf);
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> ModelFiles.loadOptimizerState(plain, conf, "ADAM", slots));
    assertTrue(none.getMessage().contains("saved without its optimizer state"), none.getMessage());
    assertEquals(m.spec(), ModelFiles.load(d, conf).spec(), "a model with optimizer state loads as any other");
  }
}
