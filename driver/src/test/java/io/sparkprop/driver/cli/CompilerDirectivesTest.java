package io.sparkprop.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@link CompilerDirectives} in child JVMs that serialize an object graph in a loop with {@code
 * -XX:+PrintCompilation}: with the directives, no method of {@code ObjectInputStream} or {@code
 * ObjectOutputStream} is compiled at tier 4 (C2) and some are at tier 1 (C1 without profiling);
 * without them C2 compiles them (so the check can fail); the JVM's answer never reaches standard
 * output.
 */
class CompilerDirectivesTest {
  /** A PrintCompilation line of a serialization method: timestamp, id, flags, tier, method. */
  static final Pattern SERIALIZATION_COMPILE =
      Pattern.compile("^\\s*\\d+\\s+\\d+\\s+[%sbn! ]*?\\s(\\d)\\s+(java\\.io\\.Object(?:In|Out)putStream\\S*::\\S+)", Pattern.MULTILINE);

  @Test
  void serializationStaysOutOfC2_withTheDirectives() throws Exception {
    Child with = child(true, true, 1.5);
    assertTrue(with.stderr.contains("1 compiler directives added"), with.stderr);
    List<String> c2 = compiles(with.stdout, 4);
    assertEquals(List.of(), c2, "C2 compiled serialization despite the directives");
    assertFalse(compiles(with.stdout, 1).isEmpty(), "C1 compiled no serialization method at tier 1:\n" + tail(with.stdout));
  }

  @Test
  void serializationGoesToC2_withoutThem() throws Exception {
    Child without = child(false, true, 1.5);
    assertFalse(compiles(without.stdout, 4).isEmpty(), "the loop never made serialization hot enough for C2:\n" + tail(without.stdout));
  }

  @Test
  void nothingReachesStandardOutput() throws Exception {
    Child quiet = child(true, false, 0.1);
    assertTrue(quiet.stderr.contains("1 compiler directives added"), quiet.stderr);
    assertEquals("done\n", quiet.stdout);
  }

  @Test
  void onlyLocalMastersGetThem_unlessSwitchedOff() {
    assertFalse(CompilerDirectives.wanted("spark://host:7077", null));
    assertFalse(CompilerDirectives.wanted("local-cluster[2,1,1024]", null));
    assertFalse(CompilerDirectives.wanted("yarn", null));
    assertTrue(CompilerDirectives.wanted("local[2]", null));
    assertTrue(CompilerDirectives.wanted("local", "true"));
    assertFalse(CompilerDirectives.wanted("local[*]", "false"), "-Dsparkprop.compilerDirectives=false turns them off");
  }

  static List<String> compiles(String printCompilation, int tier) {
    List<String> found = new ArrayList<>();
    Matcher m = SERIALIZATION_COMPILE.matcher(printCompilation);
    while (m.find()) {
      if (Integer.parseInt(m.group(1)) == tier) found.add(m.group(2));
    }
    return found;
  }

  static String tail(String s) {
    return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
  }

  record Child(String stdout, String stderr) {}

  static Child child(boolean directives, boolean printCompilation, double seconds) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    if (printCompilation) cmd.add("-XX:+PrintCompilation");
    cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        Loop.class.getName(), Boolean.toString(directives), Double.toString(seconds)));
    Process p = new ProcessBuilder(cmd).start();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread drain = new Thread(() -> {
      try {
        p.getErrorStream().transferTo(err);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    drain.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not end");
    drain.join();
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), stderr);
    return new Child(out, stderr);
  }

  /** The child: adds the directives (or not), serializes and reads back a small graph for the given seconds. */
  public static final class Loop {
    public static void main(String[] args) throws Exception {
      if (Boolean.parseBoolean(args[0])) System.err.println(CompilerDirectives.add());
      List<Object> graph = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        Map<String, Object> m = new HashMap<>();
        m.put("k" + i, new int[] {i});
        m.put("s", "v" + i);
        graph.add(m);
      }
      long end = System.nanoTime() + (long) (Double.parseDouble(args[1]) * 1e9);
      while (System.nanoTime() < end) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
          o.writeObject(graph);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
          if (((List<?>) in.readObject()).size() != 20) throw new AssertionError("read back a different graph");
        }
      }
      System.out.println("done");
    }
  }
}
