package io.sparkprop.driver.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkprop.datasets.FeatureScaling;
import io.sparkprop.driver.model.Model;
import io.sparkprop.driver.model.ModelFiles;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Versions, CURRENT, pruning, the lock, and crashes at every point of a publish. */
class RegistryTest {
  @TempDir Path dir;
  final Configuration conf = new Configuration();

  static Model model(long seed) {
    NetworkSpec spec = NetworkSpec.of(new int[] {3, 4, 2}, Activation.TANH, Head.SOFTMAX_CROSS_ENTROPY);
    return new Model(spec, Init.of(Init.Kind.HE_NORMAL).initialise(spec, seed),
        new FeatureScaling(FeatureScaling.Kind.NONE, new float[3], new float[] {1, 1, 1}), null, Map.of("run", "t"), Map.of());
  }

  static ObjectNode record(String replaces) {
    ObjectNode r = new ObjectMapper().createObjectNode();
    r.put("decision", "published");
    r.put("reason", "test");
    r.put("replaces", replaces);
    return r;
  }

  Registry registry() {
    return Registry.openOrCreate(dir.resolve("reg").toString(), conf);
  }

  String publish(Registry r, long seed) {
    try (RegistryLock lock = r.lock(60_000)) {
      return r.addVersion(model(seed), null, null, record(r.current()), true);
    }
  }

  @Test
  void aRegistryBeingCreatedByAnotherJob_opens_anUnrelatedFolderIsRefused() throws Exception {
    Path reg = Files.createDirectories(dir.resolve("racing"));
    Files.writeString(reg.resolve(".registry.json.tmp-" + java.util.UUID.randomUUID()), "{}"); // the other job's marker, not yet renamed
    Registry r = Registry.openOrCreate(reg.toString(), conf);
    assertTrue(Registry.isRegistry(r.root(), conf));
    assertEquals("v0001", publish(r, 1));
    Path other = Files.createDirectories(dir.resolve("other"));
    Files.writeString(other.resolve("notes.txt"), "mine");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Registry.openOrCreate(other.toString(), conf));
    assertTrue(e.getMessage().contains("is not empty and is not a Sparkprop registry"), e.getMessage());
  }

  @Test
  void objectStore_refusedAsARegistry_namingWhereToKeepIt() {
    for (String dir : List.of("s3a://bucket/models/fashion", "gs://bucket/models", "WASBS://c@acct.blob.core.windows.net/m")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Registry.openOrCreate(dir, conf));
      assertTrue(e.getMessage().startsWith("registry " + dir + " is on ") && e.getMessage().contains("keep the registry on HDFS"),
          e.getMessage());
    }
  }

  @Test
  void publish_movesCurrentToACompleteVersion_andResolveFindsIt() {
    Registry r = registry();
    assertNull(r.current());
    assertThrows(IllegalArgumentException.class, () -> Registry.resolveModelDir(r.root(), conf));
    assertEquals("v0001", publish(r, 1));
    assertEquals("v0002", publish(r, 2));
    assertEquals("v0002", r.current());
    assertEquals("v0001", r.rollbackTarget("v0002"));
    assertArrayEquals(model(2).params(), ModelFiles.load(Registry.resolveModelDir(r.root(), conf), conf).params(), 0f);
    assertEquals("published", r.record("v0002").path("decision").asText());
    assertEquals(List.of("publish", "publish"), r.events().stream().map(e -> e.path("action").asText()).toList());
    assertThrows(IllegalArgumentException.class, () -> Registry.openOrCreate(dir.toString(), conf),
        "a non-empty folder that is not a registry");
  }

  @Test
  void rejected_isKeptButNeverCurrent() {
    Registry r = registry();
    publish(r, 1);
    try (RegistryLock lock = r.lock(60_000)) {
      String where = r.addRejected(model(9), record("v0001"));
      assertTrue(where.startsWith("rejected/r-"), where);
      assertTrue(Files.isDirectory(dir.resolve("reg").resolve(where).resolve("model")));
    }
    assertEquals("v0001", r.current());
    assertEquals(List.of("v0001"), r.versions());
  }

  @Test
  void prune_keepsTheNewest_theCurrentAndItsRollbackTarget() {
    Registry r = registry();
    for (int i = 1; i <= 5; i++) publish(r, i);
    try (RegistryLock lock = r.lock(60_000)) {
      r.setCurrent("v0002", "by hand", "promote"); // v0002 replaced v0001: both must survive
      assertEquals(List.of("v0003"), r.prune(2));
    }
    assertEquals(List.of("v0001", "v0002", "v0004", "v0005"), r.versions());
    assertEquals("v0002", r.current());
  }

  @Test
  void setCurrent_refusesADamagedVersion() throws Exception {
    Registry r = registry();
    publish(r, 1);
    publish(r, 2);
    Path w = dir.resolve("reg/v0001/model/weights.bin");
    byte[] b = Files.readAllBytes(w);
    b[0] ^= 1;
    Files.write(w, b);
    try (RegistryLock lock = r.lock(60_000)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.setCurrent("v0001", "x", "rollback"));
      assertTrue(e.getMessage().contains("weights.bin has SHA-256"), e.getMessage());
    }
    assertEquals("v0002", r.current());
  }

  @Test
  void lock_racingContenders_exactlyOneWins() throws Exception {
    Registry r = registry();
    int n = 8;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<RegistryLock>> tries = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tries.add(pool.submit(() -> {
        go.await();
        try {
          return r.lock(60_000);
        } catch (RegistryBusyException e) {
          assertTrue(e.getMessage().contains("is locked by another job") || e.getMessage().contains("contended"), e.getMessage());
          return null;
        }
      }));
    }
    go.countDown();
    List<RegistryLock> won = new ArrayList<>();
    for (Future<RegistryLock> f : tries) {
      if (f.get() != null) won.add(f.get());
    }
    pool.shutdown();
    assertEquals(1, won.size(), "lock holders");
    won.get(0).close();
    r.lock(60_000).close(); // free again after release
  }

  /** The newest generation's lock file. */
  Path newestLock() throws Exception {
    try (var files = Files.list(dir.resolve("reg"))) {
      return files.filter(f -> f.getFileName().toString().matches("LOCK\\.\\d{12}")).max(Path::compareTo).orElseThrow();
    }
  }

  @Test
  void lock_ofADeadJob_isTakenOver_butALiveHeartbeatKeepsIt() throws Exception {
    Registry r = registry();
    Path dead = dir.resolve("reg/LOCK.000000000004");
    Files.writeString(dead, "host=elsewhere pid=1 id=dead\n");
    assertTrue(dead.toFile().setLastModified(System.currentTimeMillis() - 120_000));
    try (RegistryLock taken = r.lock(400)) { // heartbeat 120 s old > 0.4 s: the holder is dead
      assertEquals(5, taken.generation(), "the next generation");
      assertEquals(taken.owner(), Files.readString(newestLock()).trim());
      assertFalse(Files.exists(dead), "the superseded generation is deleted");
      Thread.sleep(1_500); // past the timeout, but the holder's heartbeat (every 100 ms) keeps the lock fresh
      RegistryBusyException busy = assertThrows(RegistryBusyException.class, () -> r.lock(400));
      assertTrue(busy.getMessage().contains("heartbeat 0 s ago"), busy.getMessage());
      taken.check("a test's change"); // still held
    }
    assertEquals(0, newestLock().toFile().lastModified(), "released: its time set to 0, the generation kept");
    try (RegistryLock again = r.lock(60_000)) {
      assertEquals(6, again.generation(), "generations only grow");
    }
  }

  @Test
  void mutations_withoutTheLock_orAfterLosingIt_changeNothing() throws Exception {
    Registry r = registry();
    assertThrows(IllegalStateException.class, () -> r.addVersion(model(1), null, null, record(null), true));
    assertTrue(r.versions().isEmpty());
    RegistryLock first = r.lock(300);
    Registry other = registry();
    // the first holder's heartbeat stops (a stalled JVM): its file ages past the timeout and another job takes over
    first.check("before the stall");
    java.lang.reflect.Field hb = RegistryLock.class.getDeclaredField("heartbeat");
    hb.setAccessible(true);
    ((java.util.concurrent.ScheduledExecutorService) hb.get(first)).shutdownNow();
    assertTrue(newestLock().toFile().setLastModified(System.currentTimeMillis() - 10_000));
    try (RegistryLock second = other.lock(300)) {
      assertEquals(first.generation() + 1, second.generation());
      RegistryLockLostException lost = assertThrows(RegistryLockLostException.class,
          () -> r.addVersion(model(1), null, null, record(null), true));
      assertTrue(lost.getMessage().contains("lost the lock of registry") && lost.getMessage().contains("generation "
          + second.generation()) && lost.getMessage().contains("not writing v0001"), lost.getMessage());
      assertTrue(r.versions().isEmpty(), "the superseded holder wrote no version");
      other.addVersion(model(2), null, null, record(null), true);
      assertEquals("v0001", other.current());
      assertThrows(RegistryLockLostException.class, () -> r.prune(2));
      assertThrows(RegistryLockLostException.class, () -> r.setCurrent("v0001", "test", "promote"));
    }
    first.close(); // releases nothing: the lock is not its own
  }

  /** A child JVM running {@link RegistryContenderMain}. */
  Process contender(long timeoutMillis, long seed, Path go, Path hold) throws Exception {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp", cp,
        RegistryContenderMain.class.getName(), dir.resolve("reg").toString(), Long.toString(timeoutMillis), Long.toString(seed),
        go.toString()));
    if (hold != null) cmd.add(hold.toString());
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  static String awaitLine(Process p, String prefix) throws Exception {
    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.startsWith(prefix)) return line;
    }
    throw new AssertionError("the contender ended (exit " + p.waitFor() + ") before printing '" + prefix + "'");
  }

  static void signal(Process p, String sig) throws Exception {
    assertEquals(0, new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start().waitFor());
  }

  @Test
  void holderStoppedPastTheTimeout_thenContinued_publishesNothing() throws Exception {
    Registry r = registry();
    publish(r, 1);
    Path go = dir.resolve("go");
    Path hold = dir.resolve("hold");
    Files.createFile(go);
    Process holder = contender(1_500, 2, go, hold);
    assertTrue(awaitLine(holder, "locked").startsWith("locked "));
    signal(holder, "STOP"); // a long GC pause, a suspended container
    Thread.sleep(2_500);
    String successor;
    try (RegistryLock lock = r.lock(1_500)) { // the holder's heartbeat is 2.5 s old: taken over
      successor = r.addVersion(model(3), null, null, record(r.current()), true);
    }
    assertEquals("v0002", successor);
    Files.createFile(hold);
    signal(holder, "CONT");
    String rest = new String(holder.getInputStream().readAllBytes());
    assertEquals(2, holder.waitFor(), rest);
    assertTrue(rest.contains("lost: this job lost the lock of registry") && rest.contains("Nothing more was changed"), rest);
    assertEquals(List.of("v0001", "v0002"), r.versions(), "the stalled holder published nothing");
    assertEquals("v0002", r.current());
    assertArrayEquals(model(3).params(), ModelFiles.load(r.modelDir("v0002"), conf).params(), 0f);
  }

  @Test
  void contendersOnOneStaleLock_exactlyOnePublishes() throws Exception {
    Registry r = registry();
    publish(r, 1);
    Path stale = newestLock();
    Files.writeString(dir.resolve("reg/LOCK.000000000009"), "host=elsewhere pid=1 id=dead\n");
    assertTrue(dir.resolve("reg/LOCK.000000000009").toFile().setLastModified(System.currentTimeMillis() - 120_000));
    assertTrue(Files.exists(stale));
    Path go = dir.resolve("go");
    List<Process> all = new ArrayList<>();
    for (int i = 0; i < 4; i++) all.add(contender(60_000, 10 + i, go, null));
    for (Process p : all) awaitLine(p, "ready");
    Files.createFile(go);
    int published = 0;
    StringBuilder outs = new StringBuilder();
    for (Process p : all) {
      String out = new String(p.getInputStream().readAllBytes());
      int code = p.waitFor();
      outs.append("exit ").append(code).append(": ").append(out).append('\n');
      if (code == 0) published++;
      else assertEquals(3, code, out);
    }
    assertEquals(1, published, outs.toString());
    assertEquals(List.of("v0001", "v0002"), r.versions(), outs.toString());
  }

  @ParameterizedTest(name = "JVM killed at {0}")
  @ValueSource(strings = {"publish:after-model-written", "publish:before-version-rename", "publish:after-version-written",
      "publish:before-current-rename", "publish:after-current-rename"})
  void killedMidPublish_leavesCurrentNamingACompleteVersion(String point) throws Exception {
    Registry r = registry();
    publish(r, 1);
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Dsparkprop.test.halt-at=" + point,
        "-cp", cp, RegistryCrashMain.class.getName(), r.root(), "2").redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertEquals(137, p.waitFor(), "halted at " + point + ": " + output);

    String cur = r.current();
    boolean moved = point.equals("publish:after-current-rename");
    assertEquals(moved ? "v0002" : "v0001", cur);
    r.verify(cur); // complete, checksums verified
    assertArrayEquals(model(moved ? 2 : 1).params(), ModelFiles.load(r.modelDir(cur), conf).params(), 0f);
    for (String v : r.versions()) r.verify(v); // every visible version is complete
    // the dead job's lock is still there; a new job takes it over once it is stale and publishes
    File lock = newestLock().toFile();
    assertTrue(lock.lastModified() > 0, "the killed job left its lock held");
    assertTrue(lock.setLastModified(System.currentTimeMillis() - 120_000));
    String next = publish(r, 3);
    assertEquals(next, r.current());
    r.verify(next);
  }
}
