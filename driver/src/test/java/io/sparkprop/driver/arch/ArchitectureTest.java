package io.sparkprop.driver.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The allowed imports between the modules and packages (docs/design.md), checked on the compiled
 * classes of all three modules: the engine needs nothing but BLAS, the readers know nothing of
 * the Spark application, and the command line is a leaf that nothing else calls into.
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
  void nothingButTheBenchmarksImportsTheCommandLine() {
    noClasses().that().resideInAPackage("io.sparkprop..")
        .and().resideOutsideOfPackages("io.sparkprop.driver.cli..", "io.sparkprop.driver.bench..")
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
        .should().dependOnClassesThat().resideInAnyPackage("io.sparkprop.driver.cli..", "io.sparkprop.driver.ml..",
            "io.sparkprop.driver.bench..")
        .check(classes);
  }
}
