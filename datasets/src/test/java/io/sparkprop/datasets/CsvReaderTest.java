package io.sparkprop.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.data.Examples;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CsvReaderTest {
  static CsvReader.Options withWeight(BadRows bad) {
    return new CsvReader.Options(',', true, List.of("label"), List.of(), "w", Targets.classes(3), bad, 2);
  }

  @Test
  void goodFile_readsFeaturesLabelsAndWeightsByHeaderName() {
    Examples e = Collect.all(CsvReader.read(Spark.sc(), Spark.fixture("good.csv"), withWeight(BadRows.FAIL)));
    assertEquals(3, e.rows());
    assertEquals(2, e.features());
    assertArrayEquals(new float[] {0.5f, 1f, 1.5f, -2f, 3f, 4f}, e.x(), 0f);
    assertArrayEquals(new float[] {0, 2, 1}, e.y(), 0f);
    assertArrayEquals(new float[] {1f, 0.5f, 2f}, e.w(), 0f);
  }

  @Test
  void noHeader_columnsByIndexAndOtherDelimiter() {
    CsvReader.Options o = new CsvReader.Options(';', false, List.of("2"), List.of("1", "0"), null, Targets.classes(3),
        BadRows.FAIL, 1);
    Examples e = Collect.all(CsvReader.read(Spark.sc(), Spark.fixture("noheader.csv"), o));
    assertArrayEquals(new float[] {1f, 0.5f, -2f, 1.5f}, e.x(), 0f); // selected and reordered
    assertArrayEquals(new float[] {0, 2}, e.y(), 0f);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "nan-feature.csv|line 3|feature column 'f2' is NaN; features must be finite",
      "wrong-columns.csv|line 4|has 3 columns, expected 4",
      "label-too-big.csv|line 2|label column 'label' is 3; a class label must be < 3",
      "label-not-integer.csv|line 2|is 1.5; a class label must be an integer",
      "label-negative.csv|line 2|is -1; a class label must be >= 0",
      "weight-negative.csv|line 2|weight column 'w' is -2; example weights must be finite and >= 0",
      "weight-nan.csv|line 2|weight column 'w' is NaN",
      "malformed.csv|line 2|column 'f2' holds 'abc', which is not a number"})
  void badRow_failsNamingFileLineValueAndRule(String file, String line, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Collect.all(CsvReader.read(Spark.sc(), Spark.fixture(file), withWeight(BadRows.FAIL))));
    assertTrue(e.getMessage().contains(file + " " + line), e.getMessage());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void dropPolicy_skipsAndCountsBadRows() {
    ExampleSet s = CsvReader.read(Spark.sc(), Spark.fixture("wrong-columns.csv"), withWeight(BadRows.DROP));
    Examples e = Collect.all(s);
    assertEquals(2, e.rows());
    assertEquals(1, s.droppedRows());
  }

  @Test
  void missingEmptyAndMisnamed_areClearErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CsvReader.read(Spark.sc(), "/no/such/file.csv", withWeight(BadRows.FAIL)));
    assertTrue(e.getMessage().contains("/no/such/file.csv") && e.getMessage().contains("no such file"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> CsvReader.read(Spark.sc(), Spark.fixture("empty.csv"), withWeight(BadRows.FAIL)));
    assertTrue(e.getMessage().contains("empty.csv is empty"), e.getMessage());
    CsvReader.Options wrongName = new CsvReader.Options(',', true, List.of("class"), List.of(), null, Targets.classes(3),
        BadRows.FAIL, 1);
    e = assertThrows(IllegalArgumentException.class, () -> CsvReader.read(Spark.sc(), Spark.fixture("good.csv"), wrongName));
    assertTrue(e.getMessage().contains("label column 'class' is not in the header") && e.getMessage().contains("[f1, f2, label, w]"),
        e.getMessage());
  }

  @Test
  void csvAsTheWorldWritesIt_quotesEscapesBomAndCrlf() throws Exception {
    java.nio.file.Path f = java.nio.file.Files.createTempFile("quoted", ".csv");
    // a BOM, CRLF line ends, quoted header names, a quoted field holding the delimiter and a doubled quote
    java.nio.file.Files.writeString(f, "\uFEFF\"a\",\"b, the second\",label,note\r\n"
        + "0.5,\"1.5\",0,\"says \"\"hi\"\", twice\"\r\n"
        + " 2 , \"-3\" ,1,plain\r\n");
    CsvReader.Options o = new CsvReader.Options(',', true, List.of("label"), List.of("a", "b, the second"), null,
        Targets.classes(2), BadRows.FAIL, 1);
    Examples e = Collect.all(CsvReader.read(Spark.sc(), f.toString(), o));
    assertArrayEquals(new float[] {0.5f, 1.5f, 2f, -3f}, e.x(), 0f);
    assertArrayEquals(new float[] {0, 1}, e.y(), 0f);
    assertEquals(List.of("says \"hi\", twice", "x"), CsvReader.split("\"says \"\"hi\"\", twice\",x\r", ',').subList(0, 2));
  }
}
