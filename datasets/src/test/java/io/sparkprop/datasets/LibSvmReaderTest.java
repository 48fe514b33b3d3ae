package io.sparkprop.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.data.Examples;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LibSvmReaderTest {
  static LibSvmReader.Options classes(int features) {
    return new LibSvmReader.Options(features, Targets.classes(3), BadRows.FAIL, 2);
  }

  @Test
  void goodFile_inferredFeatureCount_sparseToDense() {
    ExampleSet s = LibSvmReader.read(Spark.sc(), Spark.fixture("good.libsvm"), classes(0));
    assertEquals(3, s.features());
    Examples e = Collect.all(s);
    assertArrayEquals(new float[] {0.5f, 0, 1.5f, 0, -1, 0, 1, 2, 3}, e.x(), 0f);
    assertArrayEquals(new float[] {0, 2, 1}, e.y(), 0f);
  }

  @Test
  void declaredFeatureCount_padsWithZeros() {
    Examples e = Collect.all(LibSvmReader.read(Spark.sc(), Spark.fixture("good.libsvm"), classes(5)));
    assertEquals(5, e.features());
    assertEquals(0f, e.x()[4], 0f);
  }

  @Test
  void multiLabel_commaSeparatedLabelLists() {
    LibSvmReader.Options o = new LibSvmReader.Options(2, Targets.multiLabel(3), BadRows.FAIL, 1);
    Examples e = Collect.all(LibSvmReader.read(Spark.sc(), Spark.fixture("multilabel.libsvm"), o));
    assertArrayEquals(new float[] {1, 0, 1, 0, 1, 0}, e.y(), 0f);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "index-zero.libsvm|line 2|feature index 0 in '0:1.5'; LibSVM indices start at 1",
      "descending.libsvm|line 1|feature index 2 follows 3; indices must be strictly ascending",
      "malformed.libsvm|line 1|'2=1' is not of the form index:value",
      "plus-minus-one.libsvm|line 2|label -1; a class label must be >= 0 (binary LibSVM files often use -1/+1: map -1 to 0)",
      "index-too-big.libsvm|line 1|feature index 9 exceeds the declared feature count 4",
      "nan.libsvm|line 1|feature 1 is NaN; features must be finite"})
  void badLine_failsNamingFileLineValueAndRule(String file, String line, String message) {
    LibSvmReader.Options o = new LibSvmReader.Options(4, Targets.classes(2), BadRows.FAIL, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Collect.all(LibSvmReader.read(Spark.sc(), Spark.fixture(file), o)));
    assertTrue(e.getMessage().contains(file + " " + line), e.getMessage());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void dropPolicy_keepsThePlusOneRowAndCountsTheMinusOne() {
    LibSvmReader.Options o = new LibSvmReader.Options(2, Targets.classes(2), BadRows.DROP, 1);
    ExampleSet s = LibSvmReader.read(Spark.sc(), Spark.fixture("plus-minus-one.libsvm"), o);
    Examples e = Collect.all(s);
    assertEquals(1, e.rows());
    assertEquals(1f, e.y()[0], 0f);
    assertEquals(1, s.droppedRows());
  }
}
