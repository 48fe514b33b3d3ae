package io.sparkprop.driver.report;

import io.sparkprop.datasets.Rdds;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.loop.EpochReport;
import io.sparkprop.driver.model.Model;
import io.sparkprop.trainer.nn.Network;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report of a run: PNG charts (loss and validation-metric curves; the confusion matrix for
 * classification; the decision regions for 2-D inputs) and a self-contained {@code report.html}
 * embedding them, in the run's output folder.
 */
public final class RunReport {
  private RunReport() {}

  /**
   * Up to {@code max} examples of packed (scaled) two-feature data, scaled back to the raw
   * features the decision-regions chart is drawn in: rows of (x0, x1, class). Null for other data.
   */
  public static float[][] sample(PackedData data, Model model, int max) {
    if (data == null || data.features() != 2 || data.targetWidth() != 1) return null;
    int per = Math.max(1, max / Math.max(1, data.partitions()));
    List<float[]> rows = Rdds.collect(Rdds.flatMap(data.rdd(), e -> {
      List<float[]> out = new ArrayList<>();
      int step = Math.max(1, e.rows() / per);
      for (int r = 0; r < e.rows() && out.size() < per; r += step) out.add(new float[] {e.x()[2 * r], e.x()[2 * r + 1], e.y()[r]});
      return out.iterator();
    }));
    float[] off = model.scaling().offset();
    float[] sc = model.scaling().scale();
    for (float[] r : rows) { // the network sees (x - offset) * scale
      r[0] = r[0] / sc[0] + off[0];
      r[1] = r[1] / sc[1] + off[1];
    }
    return rows.toArray(new float[0][]);
  }

  public static void write(String dir, String runName, Model model, List<EpochReport> history, long[][] confusion,
      PrintStream out) {
    write(dir, runName, model, history, confusion, null, "", out);
  }

  /**
   * Writes report.html and its charts.
   *
   * @param points a sample of the evaluation data for the decision-regions chart ({@link #sample}), or null
   * @param data what the model was trained on, for the summary line
   */
  public static void write(String dir, String runName, Model model, List<EpochReport> history, long[][] confusion,
      float[][] points, String data, PrintStream out) {
    System.setProperty("java.awt.headless", "true");
    try {
      Path d = Path.of(dir);
      Files.createDirectories(d);
      List<String[]> images = new ArrayList<>();
      images.add(new String[] {"Training and validation loss", save(lossChart(history), d, "loss")});
      XYChart metric = metricChart(history, model.spec().head().isClassification());
      if (metric != null) images.add(new String[] {"Validation metric", save(metric, d, "validation-metric")});
      if (confusion != null) images.add(new String[] {"Confusion matrix (evaluation data)", save(confusionChart(confusion), d, "confusion")});
      if (model.spec().inputSize() == 2 && model.spec().head().isClassification()) {
        images.add(new String[] {"Decision regions", save(regionsChart(model, points), d, "decision-regions")});
      }
      StringBuilder html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
          .append(esc(runName)).append(" - Sparkprop report</title><style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
              + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
              + "img{max-width:100%;border:1px solid #eee;margin:0.5em 0}</style></head><body>")
          .append("<h1>").append(esc(runName)).append("</h1><p><b>").append(esc(summary(model, history, data))).append("</b></p>")
          .append("<p>Network ").append(esc(model.spec().toString())).append(", ").append(model.spec().paramCount())
          .append(" parameters. Every epoch's (and, with output.step-metrics, every step's) numbers: ")
          .append("<a href=\"metrics.jsonl\">metrics.jsonl</a>.</p><h2>Final metrics</h2><table>");
      model.metrics().forEach((k, v) -> html.append("<tr><th>").append(esc(k)).append("</th><td>")
          .append(String.format("%.5f", v)).append("</td></tr>"));
      html.append("</table><h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>validation</th><th>seconds</th><th>examples/s</th></tr>");
      for (EpochReport r : history) {
        String val = r.validation() == null ? "" : model.spec().head().isClassification()
            ? String.format("acc %.4f", r.validation().accuracy()) : String.format("MSE %.5f", r.validation().mse());
        html.append(String.format("<tr><td>%d</td><td>%.4f</td><td>%s</td><td>%.1f</td><td>%.0f</td></tr>", r.epoch() + 1,
            r.trainLoss(), val, r.seconds(), r.examplesPerSecond()));
      }
      html.append("</table>");
      for (String[] img : images) {
        byte[] png = Files.readAllBytes(d.resolve(img[1]));
        html.append("<h2>").append(esc(img[0])).append("</h2><img alt=\"").append(esc(img[0])).append("\" src=\"data:image/png;base64,")
            .append(Base64.getEncoder().encodeToString(png)).append("\">");
      }
      html.append("</body></html>\n");
      Files.writeString(d.resolve("report.html"), html, StandardCharsets.UTF_8);
      out.println("report: " + d.resolve("report.html").toAbsolutePath());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** One line: data, network, best epoch, test (or validation) metrics, training time. */
  static String summary(Model m, List<EpochReport> h, String data) {
    boolean cls = m.spec().head().isClassification();
    double seconds = h.stream().mapToDouble(EpochReport::seconds).sum();
    EpochReport best = null;
    for (EpochReport r : h) {
      if (r.validation() == null) continue;
      double v = cls ? r.validation().accuracy() : -r.validation().mse();
      double b = best == null ? Double.NEGATIVE_INFINITY : cls ? best.validation().accuracy() : -best.validation().mse();
      if (v > b) best = r;
    }
    StringBuilder b = new StringBuilder();
    if (!data.isEmpty()) b.append(data).append("; ");
    b.append(m.spec()).append("; ").append(h.size()).append(" epochs in ").append(String.format("%.1f s", seconds));
    if (best != null) {
      b.append("; best epoch ").append(best.epoch() + 1).append(cls ? String.format(" (validation accuracy %.4f)",
          best.validation().accuracy()) : String.format(" (validation MSE %.5f)", best.validation().mse()));
    }
    String prefix = m.metrics().keySet().stream().anyMatch(k -> k.startsWith("test_")) ? "test_" : "validation_";
    m.metrics().forEach((k, v) -> {
      if (k.startsWith(prefix) && !k.endsWith("_loss")) b.append("; ").append(k.replace('_', ' ')).append(String.format(" %.4f", v));
    });
    return b.toString();
  }

  static String save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path dir, String name) throws IOException {
    BitmapEncoder.saveBitmap(chart, dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
    return name + ".png";
  }

  static XYChart lossChart(List<EpochReport> h) {
    XYChart c = new XYChartBuilder().width(800).height(450).title("Loss").xAxisTitle("epoch").yAxisTitle("mean loss").build();
    double[] ep = h.stream().mapToDouble(r -> r.epoch() + 1).toArray();
    c.addSeries("train", ep, h.stream().mapToDouble(EpochReport::trainLoss).toArray()).setMarker(SeriesMarkers.CIRCLE);
    List<EpochReport> v = h.stream().filter(r -> r.validation() != null).toList();
    if (!v.isEmpty()) {
      c.addSeries("validation", v.stream().mapToDouble(r -> r.epoch() + 1).toArray(),
          v.stream().mapToDouble(r -> r.validation().meanLoss()).toArray()).setMarker(SeriesMarkers.DIAMOND);
    }
    double lo = Double.POSITIVE_INFINITY;
    double hi = 0;
    for (EpochReport r : h) {
      for (double x : new double[] {r.trainLoss(), r.validation() == null ? Double.NaN : r.validation().meanLoss()}) {
        if (x > 0 && Double.isFinite(x)) {
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
        }
      }
    }
    if (hi / lo > 10) { // spans a decade or more: a log axis shows the late epochs too
      c.getStyler().setYAxisLogarithmic(true);
      c.setYAxisTitle("mean loss (log scale)");
    }
    return c;
  }

  static XYChart metricChart(List<EpochReport> h, boolean classification) {
    List<EpochReport> v = h.stream().filter(r -> r.validation() != null).toList();
    if (v.isEmpty()) return null;
    XYChart c = new XYChartBuilder().width(800).height(450).title(classification ? "Validation accuracy" : "Validation MSE")
        .xAxisTitle("epoch").yAxisTitle(classification ? "accuracy" : "MSE").build();
    c.addSeries(classification ? "accuracy" : "MSE", v.stream().mapToDouble(r -> r.epoch() + 1).toArray(),
        v.stream().mapToDouble(r -> classification ? r.validation().accuracy() : r.validation().mse()).toArray())
        .setMarker(SeriesMarkers.CIRCLE);
    return c;
  }

  static HeatMapChart confusionChart(long[][] m) {
    int k = m.length;
    HeatMapChart c = new HeatMapChartBuilder().width(700).height(600).title("Confusion matrix (row: true class, column: predicted)").build();
    c.getStyler().setShowValue(true).setHeatMapValueDecimalPattern("#").setPlotContentSize(1).setLegendVisible(true);
    List<String> xs = new ArrayList<>();
    List<String> ys = new ArrayList<>(); // XChart draws the first y category at the bottom: class 0 goes last, on top
    for (int i = 0; i < k; i++) {
      xs.add(Integer.toString(i));
      ys.add(Integer.toString(k - 1 - i));
    }
    List<Number[]> cells = new ArrayList<>();
    for (int t = 0; t < k; t++) for (int p = 0; p < k; p++) cells.add(new Number[] {p, k - 1 - t, m[t][p]});
    c.addSeries("count", xs, ys, cells);
    c.setXAxisTitle("predicted");
    c.setYAxisTitle("true");
    return c;
  }

  static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
      new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

  /** The predicted class over a grid covering the scaled-back input range [-1.5, 1.5]^2 or the scaling's range. */
  static XYChart regionsChart(Model m, float[][] points) {
    float[] off = m.scaling().offset();
    float[] sc = m.scaling().scale();
    double lo0 = -1.2;
    double hi0 = 1.2;
    double lo1 = -1.2;
    double hi1 = 1.2;
    if (m.scaling().kind() != io.sparkprop.datasets.FeatureScaling.Kind.NONE) {
      lo0 = off[0] - 2.5 / sc[0];
      hi0 = off[0] + 2.5 / sc[0];
      lo1 = off[1] - 2.5 / sc[1];
      hi1 = off[1] + 2.5 / sc[1];
    }
    if (points != null && points.length > 0) { // the data's own range, with a margin
      lo0 = hi0 = points[0][0];
      lo1 = hi1 = points[0][1];
      for (float[] pt : points) {
        lo0 = Math.min(lo0, pt[0]);
        hi0 = Math.max(hi0, pt[0]);
        lo1 = Math.min(lo1, pt[1]);
        hi1 = Math.max(hi1, pt[1]);
      }
      double m0 = 0.08 * (hi0 - lo0 + 1e-9);
      double m1 = 0.08 * (hi1 - lo1 + 1e-9);
      lo0 -= m0;
      hi0 += m0;
      lo1 -= m1;
      hi1 += m1;
    }
    int g = 120;
    float[] x = new float[g * g * 2];
    for (int i = 0; i < g; i++) {
      for (int j = 0; j < g; j++) {
        x[2 * (i * g + j)] = (float) (lo0 + (hi0 - lo0) * j / (g - 1));
        x[2 * (i * g + j) + 1] = (float) (lo1 + (hi1 - lo1) * i / (g - 1));
      }
    }
    int k = m.spec().outputSize();
    float[] p = m.predict(x, g * g);
    int classes = k == 1 ? 2 : k;
    List<List<Double>> xs = new ArrayList<>();
    List<List<Double>> ys = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      xs.add(new ArrayList<>());
      ys.add(new ArrayList<>());
    }
    for (int r = 0; r < g * g; r++) {
      int c = k == 1 ? (p[r] >= 0.5f ? 1 : 0) : Network.argmax(p, r * k, k);
      xs.get(c).add((double) x[2 * r]);
      ys.get(c).add((double) x[2 * r + 1]);
    }
    XYChart c = new XYChartBuilder().width(760).height(700).title(points == null ? "Decision regions (predicted class)"
        : "Predicted regions, and " + points.length + " evaluation examples by true class")
        .xAxisTitle("feature 0").yAxisTitle("feature 1").build();
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    c.getStyler().setMarkerSize(5);
    c.getStyler().setXAxisMin(lo0).setXAxisMax(hi0).setYAxisMin(lo1).setYAxisMax(hi1);
    c.getStyler().setXAxisDecimalPattern("0.0#").setYAxisDecimalPattern("0.0#");
    c.getStyler().setXAxisTickMarkSpacingHint(80).setYAxisTickMarkSpacingHint(80);
    c.getStyler().setAxisTickLabelsFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 13));
    for (int cl = 0; cl < classes; cl++) {
      if (xs.get(cl).isEmpty()) continue;
      Color col = PALETTE[cl % PALETTE.length];
      XYSeries s = c.addSeries("region " + name(m, cl), xs.get(cl), ys.get(cl));
      s.setMarker(SeriesMarkers.SQUARE).setMarkerColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 70));
    }
    if (points != null) {
      for (int cl = 0; cl < classes; cl++) {
        List<Double> px = new ArrayList<>();
        List<Double> py = new ArrayList<>();
        for (float[] pt : points) {
          if ((int) pt[2] == cl) {
            px.add((double) pt[0]);
            py.add((double) pt[1]);
          }
        }
        if (px.isEmpty()) continue;
        XYSeries s = c.addSeries(name(m, cl), px, py);
        s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(PALETTE[cl % PALETTE.length].darker());
      }
    }
    return c;
  }

  private static String name(Model m, int c) {
    return m.labels() != null ? m.labels().get(c) : "class " + c;
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
