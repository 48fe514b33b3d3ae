package io.sparkprop.driver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/sparkprop}'s class-data-sharing archive, as a user meets it after a build: a
 * {@code --version} run records none (its few classes would serve later runs badly), the first
 * training run records one, and the next run maps that same file instead of replacing it.
 */
class LauncherIT {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  static final Path CDS = REPO.resolve("driver/target/cds");

  @Test
  void versionRecordsNoArchive_trainingRecordsOne_andTheNextRunKeepsIt() throws Exception {
    Path out = Files.createTempDirectory("sparkprop-launcher");
    for (Path p : archives()) Files.delete(p);

    String version = run(out, "bin/sparkprop", "--version");
    assertTrue(version.contains("sparkprop"), version);
    assertEquals(List.of(), archives(), "--version recorded an archive");

    String[] train = {"bin/sparkprop", "train", "--config", "conf/quickstart.conf", "--master", "local[1]", "--set",
        "training.epochs=1", "--set", "output.dir=" + out.resolve("run"), "--set", "output.model=\"\""};
    run(out, train);
    List<Path> first = archives();
    assertEquals(1, first.size(), "one archive after the first training run: " + first);
    long written = Files.getLastModifiedTime(first.get(0)).toMillis();

    run(out, train);
    assertEquals(first, archives(), "the second run mapped the same archive");
    assertEquals(written, Files.getLastModifiedTime(first.get(0)).toMillis(), "the second run did not record it again");
  }

  @Test
  void heapStartsAt1GbByDefault_andAUsersOptionsReplaceTheDefault() throws Exception {
    Path out = Files.createTempDirectory("sparkprop-launcher-heap");
    Path fakeJava = out.resolve("java");
    Files.writeString(fakeJava, "#!/bin/sh\necho \"$@\"\n");
    fakeJava.toFile().setExecutable(true);
    String byDefault = runWith(out, java.util.Map.of("JAVA", fakeJava.toString()), "bin/sparkprop", "--version");
    assertTrue(byDefault.startsWith("-Xmx4g -Xms1g "), byDefault);
    // a smaller heap of the user's must not meet a larger start (the JVM would refuse to start)
    String users = runWith(out, java.util.Map.of("JAVA", fakeJava.toString(), "SPARKPROP_JAVA_OPTS", "-Xmx512m"),
        "bin/sparkprop", "--version");
    assertTrue(users.startsWith("-Xmx512m ") && !users.contains("-Xms"), users);
  }

  static List<Path> archives() throws IOException {
    if (!Files.isDirectory(CDS)) return List.of();
    try (Stream<Path> s = Files.list(CDS)) {
      return s.filter(p -> p.toString().endsWith(".jsa")).sorted().collect(Collectors.toList());
    }
  }

  static String run(Path work, String... cmd) throws Exception {
    return runWith(work, java.util.Map.of(), cmd);
  }

  static String runWith(Path work, java.util.Map<String, String> env, String... cmd) throws Exception {
    Path log = work.resolve("launcher.log");
    ProcessBuilder b = new ProcessBuilder(cmd).directory(REPO.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    b.environment().remove("SPARKPROP_JAVA_OPTS");
    b.environment().putAll(env);
    Process p = b.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
    String text = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + text);
    return text;
  }
}
