package io.sparkprop.datasets;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapred.FileSplit;
import org.apache.hadoop.mapred.TextInputFormat;
import org.apache.spark.api.java.JavaHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Text files (a file, a directory or a glob, on any Hadoop file system; gzip and the other Hadoop
 * codecs are decompressed) read as lines in parallel, each split by its own task, with enough
 * context to name the file and line of a bad one.
 */
final class TextLines {
  private TextLines() {}

  /** One line and where it is. */
  record Line(String file, long offset, String text) {}

  /** Turns the lines of one split into one result (a block of examples, a count...); runs on executors. */
  interface SplitParser<T> extends Serializable {
    T parse(Iterator<Line> lines, LineLocator where);
  }

  /**
   * The bad-row policy for a line that breaks {@code problem}: counted under DROP, otherwise a
   * {@link BadRowException} naming the file and line.
   */
  static void reject(Line line, String problem, BadRows policy, org.apache.spark.util.LongAccumulator dropped,
      LineLocator where) {
    if (policy == BadRows.DROP) {
      dropped.add(1);
      return;
    }
    throw new BadRowException(where.describe(line), problem);
  }

  /** Turns (file, byte offset) into "file line N" by counting newlines, only on the error path. */
  static final class LineLocator implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Broadcast<SerializableConfiguration> conf;

    /** {@code conf}: the Hadoop configuration, broadcast once (a captured one is serialized into every task). */
    LineLocator(Broadcast<SerializableConfiguration> conf) {
      this.conf = conf;
    }

    String describe(Line l) {
      return l.file() + " line " + lineNumber(l.file(), l.offset());
    }

    long lineNumber(String file, long offset) {
      Path p = new Path(file);
      try (BufferedReader r = new BufferedReader(new InputStreamReader(
          p.getFileSystem(conf.value().value()).open(p), StandardCharsets.UTF_8))) {
        // exact for uncompressed files; compressed files cannot be split, so their offsets are
        // counted in decompressed bytes and the same count applies
        long line = 1;
        long pos = 0;
        int c;
        while (pos < offset && (c = r.read()) >= 0) {
          pos += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
          if (c == '\n') line++;
        }
        return line;
      } catch (IOException e) {
        return -1;
      }
    }
  }

  /** Checks that the path matches at least one readable file, with a clear message if not. */
  static List<String> files(Configuration conf, String path) {
    Path p = new Path(path);
    try {
      FileSystem fs = p.getFileSystem(conf);
      FileStatus[] st = fs.globStatus(p);
      if (st == null || st.length == 0) {
        throw new IllegalArgumentException(IdxReader.missing(path));
      }
      List<String> out = new ArrayList<>();
      for (FileStatus s : st) {
        if (s.isDirectory()) {
          for (FileStatus c : fs.listStatus(s.getPath())) {
            String name = c.getPath().getName();
            if (c.isFile() && !name.startsWith("_") && !name.startsWith(".")) out.add(c.getPath().toString());
          }
        } else {
          out.add(s.getPath().toString());
        }
      }
      if (out.isEmpty()) throw new IllegalArgumentException(path + " holds no data files");
      return out;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** Reads {@code path} with one task per split (at least {@code minPartitions}) and parses each split. */
  static <T> JavaRDD<T> parse(JavaSparkContext sc, String path, int minPartitions, SplitParser<T> parser) {
    List<String> files = files(sc.hadoopConfiguration(), path);
    LineLocator where = new LineLocator(sc.broadcast(new SerializableConfiguration(sc.hadoopConfiguration())));
    @SuppressWarnings("unchecked")
    // hadoopRDD on a JobConf naming the files, not hadoopFile, whose input-path closure Spark's
    // ClosureCleaner would parse SparkContext's bytecode for (Rdds)
    org.apache.hadoop.mapred.JobConf job = new org.apache.hadoop.mapred.JobConf(sc.hadoopConfiguration());
    org.apache.hadoop.mapred.FileInputFormat.setInputPaths(job, String.join(",", files));
    JavaHadoopRDD<LongWritable, Text> raw = (JavaHadoopRDD<LongWritable, Text>) sc.hadoopRDD(
        job, TextInputFormat.class, LongWritable.class, Text.class, Math.max(1, minPartitions));
    return raw.mapPartitionsWithInputSplit((split, it) -> {
      String file = ((FileSplit) split).getPath().toString();
      Iterator<Line> lines = new Iterator<>() {
        @Override public boolean hasNext() { return it.hasNext(); }
        @Override public Line next() {
          scala.Tuple2<LongWritable, Text> t = it.next();
          return new Line(file, t._1().get(), t._2().toString());
        }
      };
      // parsed when the consumer first asks (not when Spark builds the partition's iterator), so a
      // validation pass reading it can catch a bad row as a result instead of failing the task
      return new Iterator<T>() {
        private boolean done;

        @Override public boolean hasNext() { return !done; }
        @Override public T next() {
          if (done) throw new java.util.NoSuchElementException();
          done = true;
          return parser.parse(lines, where);
        }
      };
    }, true);
  }
}
