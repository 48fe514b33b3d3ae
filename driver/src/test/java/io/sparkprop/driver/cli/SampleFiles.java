package io.sparkprop.driver.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Two-feature, two-class rows the CLI tests read: row i is (0.01 i, 1 - 0.01 i), label i mod 2. */
final class SampleFiles {
  private SampleFiles() {}

  /** {@code rows} rows as CSV with the header {@code header} (two feature names, then the label's). */
  static Path csv(Path dir, String name, String header, int rows) throws IOException {
    StringBuilder b = new StringBuilder(header).append('\n');
    for (int i = 0; i < rows; i++) b.append(i * 0.01).append(',').append(1 - i * 0.01).append(',').append(i % 2).append('\n');
    return Files.writeString(dir.resolve(name), b);
  }

  /** The same rows in LibSVM (1-based feature indices). */
  static Path libsvm(Path dir, String name, int rows) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < rows; i++) b.append(i % 2).append(" 1:").append(i * 0.01).append(" 2:").append(1 - i * 0.01).append('\n');
    return Files.writeString(dir.resolve(name), b);
  }
}
