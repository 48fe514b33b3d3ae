package io.sparkprop.driver.checkpoint;

import io.sparkprop.driver.data.DataFingerprint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a checkpoint must match to be resumed: the config keys that cannot change without
 * changing the run (their rendered values, and a hash of them), the training data's fingerprint,
 * and the shapes the saved arrays must have. The partition count is recorded but only warned
 * about: other counts give the same batches, equal up to float32 summation order.
 *
 * @param config key to rendered HOCON value of every run-defining key, sorted
 * @param data the packed training data's fingerprint
 * @param partitions training partitions
 * @param paramCount parameters of the network
 * @param slotCount optimizer slots
 */
public record RunIdentity(SortedMap<String, String> config, DataFingerprint data, int partitions, int paramCount,
    int slotCount) {

  public RunIdentity {
    config = new TreeMap<>(Objects.requireNonNull(config, "config"));
    Objects.requireNonNull(data, "data");
  }

  /** SHA-256 of the run-defining config, "key=value" lines in key order. */
  public String configHash() {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, String> e : config.entrySet()) b.append(e.getKey()).append('=').append(e.getValue()).append('\n');
    return io.sparkprop.driver.model.HadoopIo.sha256(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * Why a checkpoint made under {@code saved} cannot continue this run, naming each difference,
   * or null when it can.
   */
  public String refusal(RunIdentity saved) {
    List<String> why = new ArrayList<>();
    TreeMap<String, String> keys = new TreeMap<>(config);
    keys.putAll(saved.config);
    for (String k : keys.keySet()) {
      String now = config.get(k);
      String then = saved.config.get(k);
      if (!Objects.equals(now, then)) why.add(k + " was " + (then == null ? "unset" : then) + ", now " + (now == null ? "unset" : now));
    }
    String d = data.difference(saved.data);
    if (d != null) why.add("training data: now " + d);
    if (why.isEmpty() && (paramCount != saved.paramCount || slotCount != saved.slotCount)) {
      why.add("the checkpoint holds " + saved.paramCount + " parameters and " + saved.slotCount + " optimizer slots, this run "
          + paramCount + " and " + slotCount);
    }
    return why.isEmpty() ? null : String.join("; ", why);
  }
}
