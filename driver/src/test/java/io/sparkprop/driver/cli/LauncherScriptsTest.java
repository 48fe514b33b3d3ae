package io.sparkprop.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A rule for the shell scripts in {@code bin/}: under {@code set -o pipefail}, a pipeline into
 * {@code grep -q} fails now and then although the text matched (grep exits at its match, the
 * writer dies of SIGPIPE, pipefail reports that). It once made {@code bin/sparkprop} flip its JVM
 * flags in about one run in a hundred, and with them its class-data archive.
 */
class LauncherScriptsTest {
  static final Pattern PIPE_INTO_QUIET_GREP = Pattern.compile("\\|\\s*grep\\s+(-[A-Za-z]*q[A-Za-z]*|--quiet|--silent)\\b");

  @Test
  void noScriptWithPipefail_pipesIntoGrepQ() throws IOException {
    Path bin = Path.of("..").toAbsolutePath().normalize().resolve("bin");
    List<String> found = new ArrayList<>();
    int scripts = 0;
    try (Stream<Path> files = Files.list(bin)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        String text = Files.readString(f);
        if (!text.startsWith("#!") || !text.contains("pipefail")) continue;
        scripts++;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
          if (!lines[i].trim().startsWith("#") && PIPE_INTO_QUIET_GREP.matcher(lines[i]).find()) {
            found.add(f.getFileName() + ":" + (i + 1) + ": " + lines[i].trim());
          }
        }
      }
    }
    assertTrue(scripts >= 5, "read " + scripts + " scripts with pipefail from " + bin);
    assertEquals(List.of(), found, "read the text whole (case \"$(cmd)\" in ...) instead of piping into grep -q under pipefail");
    assertTrue(PIPE_INTO_QUIET_GREP.matcher("if ldconfig -p 2>/dev/null | grep -q 'libblas'; then").find(), "the rule sees the old line");
  }
}
