package io.sparkprop.driver.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * This JVM's TCP byte counters, from the kernel: {@code ss -tinpH} lists every socket with the
 * process that owns it and its TCP_INFO, whose {@code bytes_acked} and {@code bytes_received}
 * count what the socket delivered and took in. The sum over this process's sockets, before and
 * after a step, is what the driver sent and received over the network during the step, whatever
 * Spark component did it (task launches, broadcasts, results, block fetches). Sockets opened and
 * closed between two snapshots are missed; Spark keeps its connections open, so there are few.
 */
final class DriverSockets {
  private static final Pattern SOCKET = Pattern.compile("^\\d+\\s+\\d+\\s+(\\S+)\\s+(\\S+)\\s+users:.*pid=(\\d+),");
  private static final Pattern ACKED = Pattern.compile("bytes_acked:(\\d+)");
  private static final Pattern RECEIVED = Pattern.compile("bytes_received:(\\d+)");
  private static final long PID = ProcessHandle.current().pid();

  private DriverSockets() {}

  /** Sent and received bytes of one socket. */
  record Counts(long sent, long received) {}

  /** Every TCP socket of this process, by "local peer" address pair; empty when ss is missing. */
  static Map<String, Counts> snapshot() {
    Map<String, Counts> out = new HashMap<>();
    String text;
    try {
      Process p = new ProcessBuilder("ss", "-tinpH", "state", "established").redirectErrorStream(true).start();
      text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
    } catch (IOException e) {
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return out;
    }
    String key = null;
    for (String line : text.split("\n")) {
      Matcher m = SOCKET.matcher(line);
      if (m.find()) {
        key = Long.parseLong(m.group(3)) == PID ? m.group(1) + " " + m.group(2) : null;
        continue;
      }
      if (key == null) continue;
      Matcher a = ACKED.matcher(line);
      Matcher r = RECEIVED.matcher(line);
      out.put(key, new Counts(a.find() ? Long.parseLong(a.group(1)) : 0, r.find() ? Long.parseLong(r.group(1)) : 0));
      key = null;
    }
    return out;
  }

  /** Bytes sent and received between two snapshots (sockets new in {@code after} count whole). */
  static Counts delta(Map<String, Counts> before, Map<String, Counts> after) {
    long sent = 0;
    long received = 0;
    for (Map.Entry<String, Counts> e : after.entrySet()) {
      Counts b = before.getOrDefault(e.getKey(), new Counts(0, 0));
      sent += Math.max(0, e.getValue().sent() - b.sent());
      received += Math.max(0, e.getValue().received() - b.received());
    }
    return new Counts(sent, received);
  }
}
