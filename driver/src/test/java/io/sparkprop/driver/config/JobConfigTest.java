package io.sparkprop.driver.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.optim.Optimizer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobConfigTest {
  @TempDir Path dir;

  @Test
  void shippedConfigs_allLoad() {
    File[] confs = new File("../conf").listFiles((d, n) -> n.endsWith(".conf") && !n.equals("spark-defaults.conf"));
    assertTrue(confs != null && confs.length >= 1, "conf/*.conf");
    for (File f : confs) {
      JobConfig c = JobConfig.load(f, List.of());
      assertTrue(!c.string("run.name").isEmpty(), f + " names its run");
    }
  }

  @Test
  void fileThenOverrides_overDefaults() throws Exception {
    Path f = dir.resolve("a.conf");
    Files.writeString(f, "model.layers = [4, 8, 3]\noptimizer { name = nesterov, learning-rate = 0.05 }\n");
    JobConfig c = JobConfig.load(f.toFile(), List.of("training.batch-size=64", "model.activation=leaky-relu(0.2)"));
    TrainingSpec s = c.trainingSpec(10);
    assertEquals(64, s.batchSize());
    assertEquals(Optimizer.Kind.NESTEROV, s.optimizer().kind());
    assertEquals(0.05, s.optimizer().learningRate(), 0);
    assertEquals(Activation.leakyRelu(0.2), s.network().activation(0));
    assertEquals(256, s.blockRows()); // default
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "optimizer.learning-rat=0.1|unknown key 'optimizer.learning-rat' in --set; did you mean 'optimizer.learning-rate'?",
      "trainig.epochs=3|did you mean 'training.epochs'?",
      "optimizer.learning-rate=-1|optimizer.learning-rate = -1.0 is outside (0.0",
      "training.batch-size=0|training.batch-size = 0 is outside [1,",
      "training.epochs=many|training.epochs must be an integer",
      "model.activation=swish|unknown activation 'swish'",
      "model.layers=[4, 0, 3]|model.layers entry 1 is 0",
      "optimizer.name=adagrad|unknown optimizer 'adagrad'",
      "optimizer.schedule=linear|optimizer.schedule = 'linear'",
      "data.bad-rows=ignore|data.bad-rows = 'ignore'; expected fail or drop",
      "data.scaling=log|unknown feature scaling 'log'",
      "model.output=softmax2|unknown output 'softmax2'"})
  void badValues_nameTheKeyAndValue(String set, String message) {
    ConfigError e = assertThrows(ConfigError.class, () -> JobConfig.load((String) null, List.of("model.layers=[4, 8, 3]", set)));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void missingLayersAndFiles_areNamed() {
    ConfigError e = assertThrows(ConfigError.class, () -> JobConfig.load((String) null, List.of()));
    assertTrue(e.getMessage().contains("model.layers is required"), e.getMessage());
    e = assertThrows(ConfigError.class, () -> JobConfig.load(new File("/no/such.conf"), List.of()));
    assertTrue(e.getMessage().contains("/no/such.conf does not exist"), e.getMessage());
    e = assertThrows(ConfigError.class, () -> JobConfig.load((String) null, List.of("model.layers=[2,3]", "data.format=csv")));
    assertTrue(e.getMessage().contains("data.train is empty"), e.getMessage());
  }

  @Test
  void everyKey_hasADescriptionAndDocsListIt() throws Exception {
    String docs = Files.readString(Path.of("../docs/configuration.md"));
    for (Key k : Keys.ALL) {
      assertTrue(!k.description().isBlank(), k.name());
      assertTrue(docs.contains("`" + k.name() + "`"), "docs/configuration.md lacks " + k.name());
    }
  }
}
