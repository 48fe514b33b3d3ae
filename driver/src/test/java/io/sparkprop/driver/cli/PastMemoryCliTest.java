package io.sparkprop.driver.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training data about twice the storage memory of a small heap, as a user runs it: {@code train}
 * in a JVM with {@code -Xmx512m} (Spark's storage memory about 115 MB) on 240 MB of packed data.
 * The default placement (auto) puts it in local files, the run ends with exit 0, and the model is
 * byte-identical to the same run in memory on a 2 GB heap.
 */
class PastMemoryCliTest {
  @TempDir
  Path dir;

  private Process train(String tag, String heap, String placement) throws Exception {
    List<String> cmd = new ArrayList<>();
    for (String a : OperationsCliTest.javaCommand()) {
      if (!a.startsWith("-Xmx") && !a.startsWith("-Xms")) cmd.add(a);
    }
    cmd.add(1, "-Xmx" + heap);
    cmd.addAll(List.of("train", "--master", "local[2]", "--config", "../conf/quickstart.conf",
        "--set", "data.generator.name=blobs", "--set", "data.generator.rows=300000", "--set", "data.generator.features=200",
        "--set", "data.generator.classes=4", "--set", "data.generator.noise=3.0", "--set", "model.layers=[200, 16, 4]",
        "--set", "model.activation=relu", "--set", "training.batch-size=2000", "--set", "training.epochs=1",
        "--set", "optimizer.schedule=constant", "--set", "optimizer.warmup-steps=0",
        "--set", "training.data-placement=" + placement,
        "--set", "output.dir=" + dir.resolve("run-" + tag), "--set", "output.model=" + dir.resolve("model-" + tag)));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(tag + ".log").toFile()).start();
  }

  @Test
  void dataTwiceTheStorageMemory_trainsFromLocalFiles_toTheWeightsOfAnInMemoryRun() throws Exception {
    Process small = train("small-heap", "512m", "auto");
    assertTrue(small.waitFor(300, TimeUnit.SECONDS), "the small-heap run ended");
    String log = Files.readString(dir.resolve("small-heap.log"));
    assertEquals(0, small.exitValue(), log);
    assertTrue(log.contains("placement disk"), "auto chose local files:\n" + log);
    assertTrue(log.contains("MB in files on the executors' local disks"), log);

    Process big = train("big-heap", "2g", "memory");
    assertTrue(big.waitFor(300, TimeUnit.SECONDS), "the in-memory run ended");
    String bigLog = Files.readString(dir.resolve("big-heap.log"));
    assertEquals(0, big.exitValue(), bigLog);
    assertTrue(bigLog.contains("MB cached"), bigLog);

    assertArrayEquals(Files.readAllBytes(dir.resolve("model-big-heap/weights.bin")),
        Files.readAllBytes(dir.resolve("model-small-heap/weights.bin")), "weights.bin of the two runs");
  }
}
