package io.sparkprop.driver.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The allowed imports between the modules and packages (docs/design.md), checked on the compiled
 * classes of all three modules: the engine needs nothing but BLAS, the readers know nothing of
 * the Spark application, the command line is a leaf that nothing else calls into, and the
 * driver's packages form layers without cycles: {@code failure}, then {@code data}, then
 * {@code loop}, then what stores and reports runs, then the {@code job} pipeline, then the entry
 * points ({@code cli}, {@code ml}).
 */
class ArchitectureTest {
  static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.sparkprop");
  }

  @Test
  void theEngineImportsNoSparkHadoopOrScala() {
    noClasses().that().resideInAPackage("io.sparkprop.trainer..")
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "org.apache.hadoop..", "scala..")
        .check(classes);
  }

  @Test
  void theEngineImportsNeitherTheReadersNorTheApplication() {
    noClasses().that().resideInAPackage("io.sparkprop.trainer..")
        .should().dependOnClassesThat().resideInAnyPackage("io.sparkprop.datasets..", "io.sparkprop.driver..")
        .check(classes);
  }

  @Test
  void theReadersDoNotImportTheApplication() {
    noClasses().that().resideInAPackage("io.sparkprop.datasets..")
        .should().dependOnClassesThat().resideInAPackage("io.sparkprop.driver..")
        .check(classes);
  }

  @Test
  void nothingImportsTheCommandLine() {
    noClasses().that().resideInAPackage("io.sparkprop..")
        .and().resideOutsideOfPackage("io.sparkprop.driver.cli..")
        .should().dependOnClassesThat().resideInAPackage("io.sparkprop.driver.cli..")
        .check(classes);
  }

  @Test
  void noBreeze() {
    noClasses().should().dependOnClassesThat().resideInAPackage("breeze..").check(classes);
  }

  @Test
  void theModelFilesRegistryAndCheckpointsDoNotImportTheCommandLineOrSparkML() {
    noClasses().that().resideInAnyPackage("io.sparkprop.driver.model..", "io.sparkprop.driver.registry..",
            "io.sparkprop.driver.checkpoint..")
        .should().dependOnClassesThat().resideInAnyPackage("io.sparkprop.driver.cli..", "io.sparkprop.driver.ml..")
        .check(classes);
  }

  @Test
  void theDriversPackagesHaveNoCycles() {
    slices().matching("io.sparkprop.driver.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void failureHandlingImportsNothingElseOfTheDriver() {
    noClasses().that().resideInAPackage("io.sparkprop.driver.failure..")
        .should().dependOnClassesThat().resideInAnyPackage(driverPackagesBut("failure"))
        .check(classes);
  }

  @Test
  void dataOnTheClusterImportsOnlyFailureHandling() {
    noClasses().that().resideInAPackage("io.sparkprop.driver.data..")
        .should().dependOnClassesThat().resideInAnyPackage(driverPackagesBut("data", "failure"))
        .check(classes);
  }

  @Test
  void theLoopImportsOnlyDataAndFailureHandling() {
    noClasses().that().resideInAPackage("io.sparkprop.driver.loop..")
        .should().dependOnClassesThat().resideInAnyPackage(driverPackagesBut("loop", "data", "failure"))
        .check(classes);
  }

  @Test
  void tuningImportsNothingElseOfTheDriver() {
    noClasses().that().resideInAPackage("io.sparkprop.driver.tuning..")
        .should().dependOnClassesThat().resideInAnyPackage(driverPackagesBut("tuning"))
        .check(classes);
  }

  @Test
  void thePipelineImportsNeitherEntryPoint() {
    noClasses().that().resideInAPackage("io.sparkprop.driver.job..")
        .should().dependOnClassesThat().resideInAnyPackage("io.sparkprop.driver.cli..", "io.sparkprop.driver.ml..")
        .check(classes);
  }

  /** About 400 lines at most; the trainer and the config parser, at the top, are the ones to split next. */
  @Test
  void noSourceFileIsOverFourHundredAndSeventyLines() throws IOException {
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    List<String> tooLong;
    try (Stream<Path> files = Stream.of("trainer", "datasets", "driver").map(m -> root.resolve(m).resolve("src/main/java"))
        .flatMap(ArchitectureTest::javaFiles)) {
      tooLong = files.filter(f -> lines(f) > 470).map(f -> root.relativize(f) + " (" + lines(f) + " lines)").toList();
    }
    assertTrue(tooLong.isEmpty(), "split these: " + tooLong);
  }

  private static final String[] DRIVER_PACKAGES = {"failure", "data", "loop", "tuning", "checkpoint", "registry", "model",
      "report", "config", "job", "cli", "ml"};

  private static String[] driverPackagesBut(String... allowed) {
    List<String> ok = List.of(allowed);
    return Stream.of(DRIVER_PACKAGES).filter(p -> !ok.contains(p)).map(p -> "io.sparkprop.driver." + p + "..").toArray(String[]::new);
  }

  private static Stream<Path> javaFiles(Path dir) {
    try {
      return Files.walk(dir).filter(f -> f.toString().endsWith(".java")).toList().stream();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long lines(Path f) {
    try (Stream<String> l = Files.lines(f)) {
      return l.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
