package io.sparkprop.driver.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SuitePageTest {
  @Test
  void suiteSection_isAppendedOnceThenReplacedInPlace() {
    String page = "# Benchmarks\nintro\n";
    String first = BenchmarkSuite.replaceSuiteSection(page, "# Benchmark suite results\nrun 1\n");
    assertTrue(first.startsWith("# Benchmarks\nintro\n"));
    assertTrue(first.contains("## Latest benchmark suite results\nrun 1\n"));
    String second = BenchmarkSuite.replaceSuiteSection(first + "\n## Notes\nkept\n", "# Benchmark suite results\nrun 2\n");
    assertTrue(second.contains("run 2") && !second.contains("run 1"), second);
    assertTrue(second.endsWith("## Notes\nkept\n"), second);
    assertEquals(1, second.split("benchmark suite: begin", -1).length - 1);
  }
}
