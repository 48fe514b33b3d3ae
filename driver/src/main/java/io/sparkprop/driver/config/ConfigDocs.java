package io.sparkprop.driver.config;

/** Prints docs/configuration.md from {@link Keys}: {@code java ... ConfigDocs > docs/configuration.md}. */
public final class ConfigDocs {
  private ConfigDocs() {}

  public static void main(String[] args) {
    StringBuilder b = new StringBuilder();
    b.append("# Configuration keys\n\n")
        .append("Generated from `io.sparkprop.driver.config.Keys` by `ConfigDocs`. A job config is a HOCON file\n")
        .append("(`--config FILE`); `--set KEY=VALUE` overrides any key; Spark settings go through `--conf` or\n")
        .append("`conf/spark-defaults.conf` as usual. An unknown key is an error that names the nearest valid one;\n")
        .append("every value is range-checked when the config is loaded, before Spark starts. The effective config\n")
        .append("is printed at start and stored in the model's `model.json`.\n\n")
        .append("| key | default | description |\n| --- | --- | --- |\n");
    for (Key k : Keys.ALL) {
      b.append("| `").append(k.name()).append("` | ").append(k.defaultValue() == null ? "(required)" : "`" + k.defaultValue() + "`")
          .append(" | ").append(k.description().replace("|", "\\|")).append(" |\n");
    }
    System.out.print(b);
  }
}
