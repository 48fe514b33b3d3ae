package io.sparkprop.driver.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;

/**
 * Run in a child JVM by {@link RegistryTest}: publishes one new version of a test model into the
 * registry named by args[0] with the lock held; -Dsparkprop.test.halt-at=POINT halts the JVM
 * there, as a kill -9 would.
 */
public final class RegistryCrashMain {
  private RegistryCrashMain() {}

  public static void main(String[] args) {
    Registry r = Registry.openOrCreate(args[0], new Configuration());
    try (RegistryLock lock = r.lock(60_000)) {
      ObjectNode rec = new ObjectMapper().createObjectNode();
      rec.put("decision", "published");
      rec.put("reason", "crash test");
      rec.put("replaces", r.current());
      r.addVersion(RegistryTest.model(Long.parseLong(args[1])), null, null, rec, true);
    }
    System.exit(0);
  }
}
