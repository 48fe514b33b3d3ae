package io.sparkprop.driver.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code conf/compile-commands.txt}, the JIT thresholds {@code bin/sparkprop} gives the training
 * step's loops: every line is a {@code CompileThresholdScaling} whose pattern names methods that
 * exist (a rename fails here, not silently in the first epoch's speed), the JVM reads the file
 * without a complaint, and the scaling takes effect: in a child JVM, a listed method called 1,000
 * times is compiled at tier 4 with the file
 * and not without it.
 */
class CompileCommandsTest {
  static final Path FILE = Path.of("..", "conf", "compile-commands.txt");
  static final Pattern MIX_COMPILED = Pattern.compile("^\\s*\\d+\\s+\\d+\\s.*io\\.sparkprop\\.trainer\\.batch\\.BatchPlan::mix\\b", Pattern.MULTILINE);

  @Test
  void everyPatternNamesExistingMethods() throws Exception {
    List<String> commands = commands();
    assertFalse(commands.isEmpty());
    for (String line : commands) {
      String[] parts = line.split(",");
      assertEquals(3, parts.length, line);
      assertEquals("CompileThresholdScaling", parts[0], line);
      double scale = Double.parseDouble(parts[2]);
      assertTrue(scale > 0 && scale < 1, line + ": a scale in (0, 1) lowers the thresholds");
      String[] target = parts[1].split("::");
      assertEquals(2, target.length, line);
      Class<?> owner = Class.forName(target[0]);
      Pattern name = Pattern.compile(Arrays.stream(target[1].split("\\*", -1)).map(Pattern::quote).reduce((a, b) -> a + ".*" + b).orElseThrow());
      assertTrue(Arrays.stream(owner.getDeclaredMethods()).map(Method::getName).anyMatch(n -> name.matcher(n).matches()),
          line + ": no method of " + owner.getName() + " matches " + target[1]);
    }
  }

  @Test
  void theJvmReadsTheFile_andCompilesAListedMethodSooner() throws Exception {
    String with = child(true);
    assertFalse(with.contains("CompileCommand"), "the file is quiet and parses:\n" + with);
    assertTrue(MIX_COMPILED.matcher(with).find(), "BatchPlan.mix was not compiled by C2 after 3,000 calls with the file:\n" + with);
    String without = child(false);
    assertFalse(MIX_COMPILED.matcher(without).find(), "C2 compiled BatchPlan.mix after 3,000 calls without the file, so the check above proves nothing");
  }

  static List<String> commands() throws Exception {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(FILE)) {
      String s = line.strip();
      if (!s.isEmpty() && !s.startsWith("#") && !s.equals("quiet")) out.add(s);
    }
    return out;
  }

  static String child(boolean file) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-TieredCompilation",
        "-XX:+PrintCompilation"));
    if (file) cmd.add("-XX:CompileCommandFile=" + FILE.toAbsolutePath());
    cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), Calls.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not end");
    String s = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), s);
    return s;
  }

  /** The child: calls BatchPlan.mix 3,000 times, waits for the compile queue, calls it again. */
  public static final class Calls {
    public static void main(String[] args) throws Exception {
      Method mix = io.sparkprop.trainer.batch.BatchPlan.class.getDeclaredMethod("mix", long.class);
      mix.setAccessible(true);
      long h = 0;
      for (int i = 0; i < 3_000; i++) h += (long) mix.invoke(null, (long) i);
      Thread.sleep(500);
      for (int i = 0; i < 10; i++) h += (long) mix.invoke(null, h);
      System.out.println("done " + h);
    }
  }
}
