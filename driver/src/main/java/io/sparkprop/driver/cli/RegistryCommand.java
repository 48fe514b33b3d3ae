package io.sparkprop.driver.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkprop.driver.registry.Registry;
import io.sparkprop.driver.registry.RegistryLock;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sparkprop registry list|show|promote|rollback --registry DIR}: inspect and move CURRENT by hand. */
@Command(name = "registry", mixinStandardHelpOptions = true,
    description = "Inspect a model registry and move its CURRENT version by hand (atomically, logged in events/).",
    subcommands = {RegistryCommand.ListVersions.class, RegistryCommand.Show.class, RegistryCommand.Promote.class,
        RegistryCommand.Rollback.class})
final class RegistryCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** Hand moves wait at most this for a live job's lock before giving up (exit 2). */
  static final long LOCK_TIMEOUT_MILLIS = 600_000;

  @Override
  public void run() {
    throw new IllegalArgumentException("registry needs a subcommand: list, show, promote or rollback");
  }

  static Registry open(String dir) {
    return Registry.open(dir, new Configuration());
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "The versions with their holdout metric, decision and reason.")
  static final class ListVersions implements Callable<Integer> {
    @Option(names = "--registry", required = true, paramLabel = "DIR") String registry;

    @Override
    public Integer call() {
      Registry r = open(registry);
      String cur = r.current();
      System.out.printf("%-3s %-8s %-24s %-10s %-12s %s%n", "", "version", "created", "decision", "metric", "reason");
      for (String v : r.versions()) {
        JsonNode rec = r.record(v);
        String metric = rec.path("gate").path("metric").asText("");
        System.out.printf("%-3s %-8s %-24s %-10s %-12s %s%n", v.equals(cur) ? "*" : "", v, rec.path("createdAt").asText(),
            rec.path("decision").asText(), metric.isEmpty() ? "" : metric + " " + String.format("%.4f",
                rec.path("candidate").path(metric).asDouble()), rec.path("reason").asText());
      }
      for (JsonNode e : r.events()) {
        if (e.path("action").asText().equals("refuse")) {
          System.out.printf("%-3s %-8s %-24s %-10s %-12s %s%n", "", "rejected", e.path("at").asText(), "refused", "",
              e.path("to").asText() + ": " + e.path("reason").asText());
        }
      }
      System.out.println(cur == null ? "no current version" : "current: " + cur);
      return Sparkprop.OK;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One version's record (default: the current one).")
  static final class Show implements Callable<Integer> {
    @Option(names = "--registry", required = true, paramLabel = "DIR") String registry;
    @Parameters(arity = "0..1", paramLabel = "VERSION") String version;

    @Override
    public Integer call() throws Exception {
      Registry r = open(registry);
      String v = version != null ? version : r.current();
      if (v == null) throw new IllegalArgumentException("registry " + registry + " has no current version; name one");
      System.out.println(JSON.writeValueAsString(r.record(v)));
      return Sparkprop.OK;
    }
  }

  @Command(name = "promote", mixinStandardHelpOptions = true, description = "Make VERSION current (verified first).")
  static final class Promote implements Callable<Integer> {
    @Option(names = "--registry", required = true, paramLabel = "DIR") String registry;
    @Parameters(paramLabel = "VERSION") String version;
    @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the event log") String reason = "promoted by hand";

    @Override
    public Integer call() {
      Registry r = open(registry);
      try (RegistryLock lock = r.lock(LOCK_TIMEOUT_MILLIS)) {
        String before = r.current();
        r.setCurrent(version, reason, "promote");
        System.out.println("current: " + version + (before == null ? "" : " (was " + before + ")"));
      }
      return Sparkprop.OK;
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = "Make the version the current one replaced current again (or --to VERSION).")
  static final class Rollback implements Callable<Integer> {
    @Option(names = "--registry", required = true, paramLabel = "DIR") String registry;
    @Option(names = "--to", paramLabel = "VERSION") String to;
    @Option(names = "--reason", paramLabel = "TEXT") String reason = "rolled back by hand";

    @Override
    public Integer call() {
      Registry r = open(registry);
      try (RegistryLock lock = r.lock(LOCK_TIMEOUT_MILLIS)) {
        String cur = r.current();
        if (cur == null) throw new IllegalArgumentException("registry " + registry + " has no current version to roll back");
        String target = to != null ? to : r.rollbackTarget(cur);
        if (target == null) {
          throw new IllegalArgumentException(cur + " replaced no earlier version; name one with --to (registry list shows them)");
        }
        r.setCurrent(target, reason, "rollback");
        System.out.println("current: " + target + " (rolled back from " + cur + ")");
      }
      return Sparkprop.OK;
    }
  }
}
