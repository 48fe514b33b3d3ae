package io.sparkprop.driver.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;

/**
 * Run in a child JVM by {@link RegistryTest}: one job contending for a registry. Arguments:
 * registry, lock timeout in ms, model seed, a start file and optionally a hold file. Prints
 * "ready", waits until the start file exists (so contenders start together), takes the lock
 * (exit 3 and "busy: ..." if a live job holds it), prints "locked GENERATION", waits until the
 * hold file exists when one is given (where the test stops and continues this process), then
 * publishes: exit 0 and "published VERSION", or exit 2 and "lost: ..." when another job took the
 * lock over meanwhile.
 */
public final class RegistryContenderMain {
  private RegistryContenderMain() {}

  public static void main(String[] args) throws Exception {
    Registry r = Registry.openOrCreate(args[0], new Configuration());
    Path go = Path.of(args[3]);
    System.out.println("ready");
    System.out.flush();
    while (!Files.exists(go)) Thread.sleep(1);
    RegistryLock lock;
    try {
      lock = r.lock(Long.parseLong(args[1]));
    } catch (RegistryBusyException e) {
      System.out.println("busy: " + e.getMessage());
      System.exit(3);
      return;
    }
    System.out.println("locked " + lock.generation());
    System.out.flush();
    if (args.length > 4) {
      while (!Files.exists(Path.of(args[4]))) Thread.sleep(5);
    }
    try {
      String v = r.addVersion(RegistryTest.model(Long.parseLong(args[2])), null, null, RegistryTest.record(r.current()), true);
      System.out.println("published " + v);
      lock.close();
      System.exit(0);
    } catch (RegistryLockLostException e) {
      System.out.println("lost: " + e.getMessage());
      System.exit(2);
    }
  }
}
