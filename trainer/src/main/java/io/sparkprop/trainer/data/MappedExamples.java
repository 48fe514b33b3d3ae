package io.sparkprop.trainer.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Packed examples in a file, memory-mapped and read by row: the heap holds none of them. The
 * operating system's page cache does the caching, so a data set larger than the heap trains
 * with the heap holding only what a step gathers.
 *
 * <p>The file is a sequence of fixed-size row records, little-endian float32:
 * {@code features} feature values, {@code targetWidth} target values, one example weight (1 when
 * the source gave none). It is mapped in segments of whole records, each under
 * {@link #SEGMENT_BYTES}, since one mapping holds at most 2 GB. {@link Writer} writes it.
 *
 * <p>Reads are absolute, so one instance may serve several threads.
 */
public final class MappedExamples implements RowSource {
  /** Largest mapped segment: 1 GiB (a mapping holds at most 2^31 - 1 bytes). */
  public static final long SEGMENT_BYTES = 1L << 30;

  private final long firstId;
  private final int rows;
  private final int features;
  private final int targetWidth;
  private final boolean weighted;
  private final int recordFloats;
  private final int rowsPerSegment;
  private final FloatBuffer[] segments;

  private MappedExamples(long firstId, int rows, int features, int targetWidth, boolean weighted, int rowsPerSegment,
      FloatBuffer[] segments) {
    this.firstId = firstId;
    this.rows = rows;
    this.features = features;
    this.targetWidth = targetWidth;
    this.weighted = weighted;
    this.recordFloats = features + targetWidth + 1;
    this.rowsPerSegment = rowsPerSegment;
    this.segments = segments;
  }

  /** Bytes of one row record. */
  public static long recordBytes(int features, int targetWidth) {
    return 4L * (features + targetWidth + 1);
  }

  /** Maps {@code file}, written by {@link Writer} with this shape, in segments of at most {@link #SEGMENT_BYTES}. */
  public static MappedExamples open(Path file, long firstId, int rows, int features, int targetWidth, boolean weighted) {
    return open(file, firstId, rows, features, targetWidth, weighted, SEGMENT_BYTES);
  }

  /** As {@link #open(Path, long, int, int, int, boolean)} with a given segment size (tests use small ones). */
  public static MappedExamples open(Path file, long firstId, int rows, int features, int targetWidth, boolean weighted,
      long segmentBytes) {
    long rec = recordBytes(features, targetWidth);
    if (rec > segmentBytes) {
      throw new IllegalArgumentException("a row record of " + rec + " bytes does not fit a segment of " + segmentBytes);
    }
    int perSegment = (int) Math.min(Integer.MAX_VALUE, segmentBytes / rec);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long expected = rec * rows;
      if (ch.size() != expected) {
        throw new IllegalStateException("packed file " + file + " holds " + ch.size() + " bytes, expected " + rows
            + " rows x " + rec + " bytes = " + expected + "; it was changed or truncated after packing");
      }
      int n = rows == 0 ? 0 : (rows - 1) / perSegment + 1;
      FloatBuffer[] segs = new FloatBuffer[n];
      for (int s = 0; s < n; s++) {
        long start = (long) s * perSegment * rec;
        long len = Math.min(expected - start, (long) perSegment * rec);
        segs[s] = ch.map(FileChannel.MapMode.READ_ONLY, start, len).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      }
      return new MappedExamples(firstId, rows, features, targetWidth, weighted, perSegment, segs);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot map packed file " + file, e);
    }
  }

  /** The same mapping with another first id. */
  public MappedExamples withFirstId(long id) {
    return id == firstId ? this : new MappedExamples(id, rows, features, targetWidth, weighted, rowsPerSegment, segments);
  }

  @Override
  public long firstId() { return firstId; }
  @Override
  public int rows() { return rows; }
  @Override
  public int features() { return features; }
  @Override
  public int targetWidth() { return targetWidth; }
  @Override
  public boolean weighted() { return weighted; }

  @Override
  public void gather(int[] idx, int start, int m, float[] x, float[] y, float[] w) {
    for (int r = 0; r < m; r++) {
      int src = idx[start + r]; // out of range: the segment array or the buffer throws
      FloatBuffer seg = segments[src / rowsPerSegment];
      int base = (src % rowsPerSegment) * recordFloats;
      seg.get(base, x, r * features, features);
      seg.get(base + features, y, r * targetWidth, targetWidth);
      if (weighted) w[r] = seg.get(base + features + targetWidth);
    }
  }

  /**
   * Rows {@code [from, from + n)} as an in-heap block (ids from {@code firstId + from}): for
   * passes that read the file in order, such as validation.
   */
  public Examples slice(int from, int n) {
    if (from < 0 || n < 0 || from + n > rows) throw new IndexOutOfBoundsException("rows [" + from + ", " + (from + n) + ") of " + rows);
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) idx[i] = from + i;
    float[] x = new float[n * features];
    float[] y = new float[n * targetWidth];
    float[] w = weighted ? new float[n] : null;
    gather(idx, 0, n, x, y, w);
    return new Examples(firstId + from, n, features, targetWidth, x, y, w);
  }

  /**
   * Appends blocks of examples to a packed file as row records. Not thread-safe; close it to
   * flush. Tracks whether any block carried weights (the file always holds a weight per row).
   */
  public static final class Writer implements AutoCloseable {
    private final Path file;
    private final FileChannel ch;
    private final ByteBuffer buf;
    private final FloatBuffer floats;
    private final int features;
    private final int targetWidth;
    private long rows;
    private boolean weighted;

    public Writer(Path file, int features, int targetWidth) {
      this.file = file;
      this.features = features;
      this.targetWidth = targetWidth;
      long rec = recordBytes(features, targetWidth);
      int cap = (int) Math.max(rec, Math.min(1 << 20, rec * 256));
      this.buf = ByteBuffer.allocateDirect(cap - cap % (int) rec).order(ByteOrder.LITTLE_ENDIAN);
      this.floats = buf.asFloatBuffer();
      try {
        this.ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create packed file " + file, e);
      }
    }

    /** Appends every row of {@code e} (which must have this writer's shape). */
    public void append(Examples e) throws IOException {
      if (e.features() != features || e.targetWidth() != targetWidth) {
        throw new IllegalArgumentException("a block has " + e.features() + " features and target width " + e.targetWidth()
            + ", expected " + features + " and " + targetWidth);
      }
      weighted |= e.w() != null;
      float[] x = e.x();
      float[] y = e.y();
      float[] w = e.w();
      for (int r = 0; r < e.rows(); r++) {
        if (floats.remaining() < features + targetWidth + 1) flush();
        floats.put(x, r * features, features);
        floats.put(y, r * targetWidth, targetWidth);
        floats.put(w == null ? 1f : w[r]);
      }
      rows += e.rows();
      if (rows > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("a partition holds more than " + Integer.MAX_VALUE
            + " rows; use more partitions (training.partitions)");
      }
    }

    private void flush() throws IOException {
      buf.position(0).limit(floats.position() * 4);
      while (buf.hasRemaining()) ch.write(buf);
      buf.clear();
      floats.clear();
    }

    public Path file() { return file; }
    /** Rows appended so far. */
    public int rows() { return (int) rows; }
    /** Whether any appended block carried example weights. */
    public boolean weighted() { return weighted; }
    /** Bytes appended so far (flushed or not). */
    public long bytes() { return rows * recordBytes(features, targetWidth); }

    @Override
    public void close() throws IOException {
      try {
        flush();
      } finally {
        ch.close();
      }
    }
  }
}
