package io.sparkprop.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkprop.driver.cli.CliTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scheduled retraining as cron or Airflow runs it: publish, refuse, inspect, roll back, lock. */
class RegistryCliTest {
  @TempDir Path dir;

  String[] retrain(String tag, String... more) {
    String[] base = {"retrain", "--registry", dir.resolve("reg").toString(), "--config", "../conf/quickstart.conf",
        "--master", "local[2]", "--set", "training.epochs=3", "--set", "data.generator.rows=2000", "--set", "output.model=",
        "--set", "output.dir=" + dir.resolve("run-" + tag)};
    return Stream.concat(Stream.of(base), Stream.of(more)).toArray(String[]::new);
  }

  static String current(Path reg) throws Exception {
    return Files.readString(reg.resolve("CURRENT")).trim();
  }

  @Test
  void retrain_publishesWhenNotWorse_refusesWhenWorse_andTheRegistryCommandsMoveCurrent() throws Exception {
    Path reg = dir.resolve("reg");
    Run first = CliTest.run(retrain("1"));
    assertEquals(0, first.code(), first.out() + first.err());
    assertTrue(first.out().contains("current version none (training fresh)") && first.out().contains("published v0001"), first.out());
    assertEquals("v0001", current(reg));

    Run second = CliTest.run(retrain("2", "--set", "registry.tolerance=0.02"));
    assertEquals(0, second.code(), second.out() + second.err());
    assertTrue(second.out().contains("warm start from " + reg.resolve("v0001/model")), second.out());
    assertTrue(second.out().contains("published v0002: candidate accuracy"), second.out());
    assertEquals("v0002", current(reg));
    JsonNode rec = new ObjectMapper().readTree(reg.resolve("v0002/record.json").toFile());
    assertEquals("v0001", rec.path("replaces").asText());
    assertEquals("v0001", rec.path("incumbent").path("version").asText());
    assertEquals(rec.path("holdout").path("rows").asLong(), 500);
    assertTrue(rec.path("candidate").path("accuracy").asDouble() > 0 && rec.path("incumbent").path("log-loss").asDouble() > 0, rec.toString());

    // a learning rate that wrecks the warm-started weights: log loss on the holdout gets far worse
    Run bad = CliTest.run(retrain("3", "--set", "registry.metric=log-loss", "--set", "optimizer.name=sgd",
        "--set", "optimizer.learning-rate=50", "--set", "optimizer.warmup-steps=0"));
    assertEquals(3, bad.code(), bad.out() + bad.err());
    assertTrue(bad.out().contains("gate refused: candidate log-loss") && bad.out().contains("v0002 stays current"), bad.out());
    assertEquals("v0002", current(reg));
    try (Stream<Path> rejected = Files.list(reg.resolve("rejected"))) {
      Path r = rejected.findFirst().orElseThrow();
      assertTrue(Files.exists(r.resolve("model/weights.bin")) && Files.exists(r.resolve("record.json")));
    }

    Run list = CliTest.run("registry", "list", "--registry", reg.toString());
    assertEquals(0, list.code(), list.err());
    assertTrue(list.out().contains("v0001") && list.out().matches("(?s).*\\*\\s+v0002.*") && list.out().contains("refused")
        && list.out().contains("current: v0002"), list.out());
    Run show = CliTest.run("registry", "show", "--registry", reg.toString());
    assertTrue(show.code() == 0 && show.out().contains("\"decision\" : \"published\""), show.out());

    Run eval = CliTest.run("evaluate", "--model", reg.toString(), "--data", "unused-for-generated", "--master", "local[2]");
    assertEquals(0, eval.code(), eval.out() + eval.err());
    assertTrue(eval.out().contains("accuracy"), eval.out());

    Run back = CliTest.run("registry", "rollback", "--registry", reg.toString());
    assertEquals(0, back.code(), back.err());
    assertEquals("v0001", current(reg));
    Run promote = CliTest.run("registry", "promote", "--registry", reg.toString(), "v0002", "--reason", "checked by hand");
    assertEquals(0, promote.code(), promote.err());
    assertEquals("v0002", current(reg));
    Run missing = CliTest.run("registry", "promote", "--registry", reg.toString(), "v0009");
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("v0009"), missing.err());
    try (Stream<Path> events = Files.list(reg.resolve("events"))) {
      assertEquals(5, events.count(), "2 publishes, 1 refusal, 1 rollback, 1 promote");
    }
  }

  @Test
  void retrain_whileAnotherJobHoldsTheLock_exits2AndChangesNothing() throws Exception {
    Path reg = dir.resolve("reg");
    Run first = CliTest.run(retrain("1", "--set", "training.epochs=1"));
    assertEquals(0, first.code(), first.out() + first.err());
    Files.writeString(reg.resolve("LOCK.000000000099"), "host=other pid=42 id=live\n"); // a live job: fresh heartbeat
    Run second = CliTest.run(retrain("2", "--set", "training.epochs=1"));
    assertEquals(2, second.code(), second.out() + second.err());
    assertTrue(second.err().contains("is locked by another job (host=other pid=42 id=live"), second.err());
    assertEquals("v0001", current(reg));
    assertTrue(!Files.exists(reg.resolve("v0002")));
  }

  @Test
  void retrain_withoutAHoldout_isABadConfig() {
    Run r = CliTest.run("retrain", "--registry", dir.resolve("reg").toString(), "--master", "local[2]", "--set", "data.format=csv",
        "--set", "data.train=x.csv", "--set", "model.layers=[2, 2]");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("set data.validation or data.validation-fraction"), r.err());
  }
}
