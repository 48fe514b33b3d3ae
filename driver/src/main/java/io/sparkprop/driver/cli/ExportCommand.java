package io.sparkprop.driver.cli;

import io.sparkprop.driver.model.Model;
import io.sparkprop.driver.model.ModelFiles;
import io.sparkprop.driver.model.OnnxExport;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sparkprop export --model DIR --format onnx --output FILE}: no Spark job, no Spark context. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Export a model to another format (onnx).")
final class ExportCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a registry (its current version)")
  String model;

  @Option(names = "--format", required = true, paramLabel = "onnx", description = "Export format: onnx")
  String format;

  @Option(names = "--output", required = true, paramLabel = "FILE", description = "Output file (must not exist)")
  String output;

  @Override
  public Integer call() {
    if (!format.toLowerCase(Locale.ROOT).equals("onnx")) {
      throw new IllegalArgumentException("--format " + format + " is not supported; the export formats are: onnx");
    }
    Configuration conf = new Configuration();
    Model m = ModelFiles.load(io.sparkprop.driver.registry.Registry.resolveModelDir(model, conf), conf);
    byte[] bytes = OnnxExport.export(m);
    Path target = new Path(output);
    try {
      FileSystem fs = target.getFileSystem(conf);
      fs.setWriteChecksum(false);
      if (fs.exists(target)) throw new IllegalArgumentException(output + " already exists; exports are never overwritten");
      Path tmp = new Path(target.getParent() == null ? new Path(".") : target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
      try (OutputStream o = fs.create(tmp, false)) {
        o.write(bytes);
      }
      if (!fs.rename(tmp, target)) {
        fs.delete(tmp, false);
        throw new IOException("could not rename " + tmp + " to " + target);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
    }
    System.out.println("ONNX model (" + bytes.length + " bytes, input 'features' [N, " + m.spec().inputSize() + "]) written to " + output);
    return Sparkprop.OK;
  }
}
