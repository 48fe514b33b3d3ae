package io.sparkprop.driver.loop;

import io.sparkprop.driver.failure.ExecutorFaults;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.batch.BatchPlan;
import io.sparkprop.trainer.data.RowSource;
import io.sparkprop.trainer.nn.LossSum;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.spark.TaskContext;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

/**
 * A task of streamed steps ({@link StreamedSteps}), on an executor: takes its partition's blocks
 * once, connects to the driver's {@link StepChannel}, and then for every step the driver sends
 * computes the partition's gradient exactly as {@link PartitionGradient} does for a job of one
 * step (the same blocks, the same group and thread split, the same {@link StepResult}) and sends
 * it back, until the driver sends the end. Returns an empty array: the results went over the
 * channel.
 */
final class StreamedTask extends AbstractFunction1<Iterator<RowSource>, byte[]> implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int CONNECT_MILLIS = 30_000;

  private final StepChannel.Address driver;
  private final TrainingSpec spec;
  private final BatchPlan plan;

  StreamedTask(StepChannel.Address driver, TrainingSpec spec, BatchPlan plan) {
    this.driver = driver;
    this.spec = spec;
    this.plan = plan;
  }

  @Override
  public byte[] apply(Iterator<RowSource> it) {
    EngineWarmup.stop(); // training has started: the cores are its
    TaskContext ctx = TaskContext.get();
    List<RowSource> blocks = new ArrayList<>(1);
    while (it.hasNext()) blocks.add(it.next());
    BooleanSupplier goOn = () -> ctx == null || !ctx.isInterrupted();
    int spe = plan.stepsPerEpoch();
    byte[] scratch = new byte[8];
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(driver.host(), driver.port()), CONNECT_MILLIS);
      s.setSoTimeout(StepChannel.POLL_MILLIS);
      InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 1 << 16);
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
      out.writeLong(driver.tokenHi());
      out.writeLong(driver.tokenLo());
      out.writeLong(driver.chunk());
      out.writeInt(ctx == null ? 0 : ctx.partitionId());
      out.flush();
      byte[] bytes = new byte[0];
      float[] p = new float[spec.network().paramCount()];
      ExecutorState.Group g = ExecutorState.group(spec);
      io.sparkprop.trainer.optim.Ranges ranges = ExecutorState.ranges(blocks.size());
      while (true) {
        long t = StepChannel.readLong(in, scratch, goOn);
        if (t == StepChannel.END) return new byte[0];
        long t0 = System.nanoTime();
        int n = StepChannel.readInt(in, scratch, goOn);
        if (n != 4 * p.length) throw new IllegalStateException("step " + t + " sent " + n + " weight bytes, expected " + 4 * p.length);
        if (bytes.length != n) bytes = new byte[n];
        StepChannel.readFully(in, bytes, 0, n, goOn);
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(p);
        long fetched = System.nanoTime() - t0;
        ExecutorFaults.point(ExecutorFaults.GRADIENT, t);
        int epoch = Math.toIntExact(t / spe);
        int k = (int) (t % spe);
        LossSum sum = g.accumulate(blocks, (block, buf) -> ExecutorState.shardStep(spec).accumulate(p, block, plan, epoch, k, buf),
            ranges, false);
        long nanos = System.nanoTime() - t0;
        byte[] r = sum.count() == 0 ? StepResult.empty(nanos, fetched)
            : StepResult.encode(g.sum(), sum.loss(), sum.weight(), sum.count(), nanos, fetched);
        out.writeInt(r.length);
        out.write(r);
        out.flush();
      }
    } catch (IOException e) {
      if (ctx != null && ctx.isInterrupted()) throw new org.apache.spark.TaskKilledException("cancelled by the driver");
      throw new UncheckedIOException("streamed steps: lost the driver at " + driver.host() + ":" + driver.port(), e);
    }
  }
}
