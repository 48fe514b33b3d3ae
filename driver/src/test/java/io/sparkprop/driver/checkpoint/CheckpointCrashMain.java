package io.sparkprop.driver.checkpoint;

import org.apache.hadoop.conf.Configuration;

/**
 * Run in a child JVM by {@link CheckpointStoreTest}: writes the checkpoint of step 20 again (a
 * replacement, as after a rollback) into the folder args[0]; -Dsparkprop.test.halt-at=POINT halts
 * the JVM there, as a kill -9 would.
 */
public final class CheckpointCrashMain {
  private CheckpointCrashMain() {}

  public static void main(String[] args) {
    new CheckpointStore(args[0], new Configuration(), 3).write(CheckpointStoreTest.state(20, false), CheckpointStoreTest.identity());
    System.exit(0);
  }
}
