package io.sparkprop.driver.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Standard output under {@code --quiet}: passes the lines that carry a run's result (test metrics,
 * where the model went, a registry decision, a resume) and drops the progress (config, data
 * summary, epoch lines), so a cron log holds one short block per run.
 */
final class ResultLines extends PrintStream {
  private static final String[] KEEP = {"test:", "model written", "published ", "gate refused", "resuming from", "retrain:",
      "accuracy ", "MSE ", "ONNX model", "predictions written", "current:"};

  ResultLines(PrintStream target) {
    super(new LineFilter(target), true, StandardCharsets.UTF_8);
  }

  private static final class LineFilter extends OutputStream {
    private final PrintStream target;
    private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

    LineFilter(PrintStream target) {
      this.target = target;
    }

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        String l = line.toString(StandardCharsets.UTF_8);
        line.reset();
        for (String k : KEEP) {
          if (l.startsWith(k)) {
            target.println(l);
            break;
          }
        }
      } else {
        line.write(b);
      }
    }

    @Override
    public void flush() {
      target.flush();
    }
  }
}
