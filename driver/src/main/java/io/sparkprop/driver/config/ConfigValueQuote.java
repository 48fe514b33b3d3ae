package io.sparkprop.driver.config;

/** Quoting of a bare --set value that HOCON cannot parse as it is (e.g. a path with ':' or '#'). */
final class ConfigValueQuote {
  private ConfigValueQuote() {}

  static String quote(String v) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : v.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\');
      b.append(c);
    }
    return b.append('"').toString();
  }
}
