package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.SparkTestContext;
import io.sparkprop.driver.TestSets;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.data.Placement;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.optim.Optimizer;
import java.io.DataOutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * A {@link StepStream} (tasks kept up across steps and epochs, weights, gradients and the
 * validation sums over the driver's {@link StepChannel}) against one job per step and an
 * evaluation job per epoch, the reference: the same parameters, optimizer state, per-step losses,
 * epoch reports (validation included), checkpoints and divergence, bit for bit; a stream that
 * breaks hands the rest of the epoch to one job per step and the bits stay the same. RecordedFit with the
 * local master's tasks connecting over loopback, as a cluster's executors connect to the driver.
 */
class StepStreamTest {
  static final TrainingSpec SPEC = FusedStepsTest.SPEC;

  private static PackedData pack(JavaSparkContext sc, int rows, int blocks, long seed) {
    return PackedData.pack(LocalExamples.distribute(sc, TestSets.blobs(rows, 12, 3, seed != 9, seed), blocks, "blobs"),
        FusedStepsTest.NET, StorageLevel.MEMORY_AND_DISK(), Placement.MEMORY, 64L << 20, 1);
  }

  private static RecordedFit fit(JavaSparkContext sc, TrainingSpec spec, int stepsPerJob, boolean stream, int epochs,
      long checkpointEvery, Function<DistributedTrainer, DistributedTrainer> setUp) {
    return fit(sc, spec, stepsPerJob, stream, epochs, checkpointEvery, 2, 2, setUp);
  }

  private static RecordedFit fit(JavaSparkContext sc, TrainingSpec spec, int stepsPerJob, boolean stream, int epochs,
      long checkpointEvery, int trainingBlocks, int validationBlocks, Function<DistributedTrainer, DistributedTrainer> setUp) {
    PackedData data = pack(sc, 1000, trainingBlocks, 8);
    PackedData val = pack(sc, 200, validationBlocks, 9);
    try {
      assertEquals(trainingBlocks, data.partitions(), "a task a block");
      DistributedTrainer t = setUp.apply(new DistributedTrainer(sc, spec, data, "streamed-" + stream).stepsPerJob(stepsPerJob));
      t.stream().inLocalMode(stream);
      return RecordedFit.of(t, epochs, val, checkpointEvery);
    } finally {
      data.unpersist();
      val.unpersist();
    }
  }

  @Test
  void aStream_isBitwiseOneJobPerStepAndAnEvaluationJobPerEpoch() {
    JavaSparkContext sc = SparkTestContext.get();
    RecordedFit perStep = fit(sc, SPEC, 1, true, 3, 0, t -> t);
    assertEquals(0, perStep.trainer().stream().steps(), "steps per job 1: never streamed");
    RecordedFit streamed = fit(sc, SPEC, 0, true, 3, 0, t -> t);
    assertEquals(33, streamed.trainer().stream().steps(), "every step streamed");
    assertEquals(3, streamed.trainer().stream().evaluations(), "every epoch's validation streamed");
    streamed.assertSameAs(perStep, "streamed");
    RecordedFit apart = fit(sc, SPEC, 0, true, 3, 0, 2, 1, t -> t); // 1 validation partition, 2 training partitions: not zipped
    assertEquals(33, apart.trainer().stream().steps());
    assertEquals(0, apart.trainer().stream().evaluations(), "a validation set of other partitions is evaluated by a job");
    apart.assertSameAs(fit(sc, SPEC, 1, true, 3, 0, 2, 1, t -> t), "validation by a job between streams");
  }

  @Test
  void morePartitionsThanTaskSlots_streamInGroups_withTheSameBits() {
    JavaSparkContext sc = SparkTestContext.get();
    RecordedFit perStep = fit(sc, SPEC, 1, true, 3, 0, 5, 5, t -> t);
    RecordedFit grouped = fit(sc, SPEC, 0, true, 3, 0, 5, 5, t -> t); // five partitions on local[2]'s two slots
    assertEquals(2, grouped.trainer().stream().tasks(), "a task per slot");
    assertEquals(33, grouped.trainer().stream().steps(), "every step streamed");
    assertEquals(3, grouped.trainer().stream().evaluations(), "the validation set's five partitions ride in the same tasks");
    grouped.assertSameAs(perStep, "five partitions in two tasks");
    RecordedFit oneTask = fit(sc, SPEC, 0, true, 3, 0, 5, 5, t -> {
      t.stream().slots(() -> 1);
      return t;
    });
    assertEquals(1, oneTask.trainer().stream().tasks());
    oneTask.assertSameAs(perStep, "five partitions in one task");
  }

  @Test
  void aClusterThatGainsSlots_restartsTheStreamAtTheNextEpoch_withTheSameBits() {
    JavaSparkContext sc = SparkTestContext.get();
    RecordedFit perStep = fit(sc, SPEC, 1, true, 3, 0, 4, 4, t -> t);
    RecordedFit grown = fit(sc, SPEC, 0, true, 3, 0, 4, 4, t -> {
      t.stream().slots(() -> t.stepCount() < 11 ? 1 : 2); // an executor joins during the first epoch
      return t;
    });
    assertEquals(2, grown.trainer().stream().streams(), "one task, then two from the second epoch");
    assertEquals(2, grown.trainer().stream().tasks());
    assertEquals(0, grown.trainer().stream().breaks());
    assertEquals(33, grown.trainer().stream().steps());
    grown.assertSameAs(perStep, "a stream restarted on more slots");
  }

  @Test
  void aSealedStream_isBitwiseTheSame() {
    JavaSparkContext sc = SparkTestContext.get();
    RecordedFit perStep = fit(sc, SPEC, 1, true, 2, 0, 3, 3, t -> t);
    RecordedFit sealed = fit(sc, SPEC, 0, true, 2, 0, 3, 3, t -> {
      t.stream().sealed(true);
      return t;
    });
    assertTrue(sealed.trainer().stream().isSealed());
    assertEquals(22, sealed.trainer().stream().steps(), "every step streamed, sealed");
    assertEquals(2, sealed.trainer().stream().evaluations());
    sealed.assertSameAs(perStep, "sealed with AES-GCM");
  }

  @Test
  void checkpointsFallOnTheSameSteps() {
    JavaSparkContext sc = SparkTestContext.get();
    RecordedFit perStep = fit(sc, SPEC, 1, true, 2, 5, t -> t);
    RecordedFit streamed = fit(sc, SPEC, 0, true, 2, 5, t -> t);
    assertEquals(5, perStep.saves().size(), perStep.saves().toString());
    assertEquals(22, streamed.trainer().stream().steps(), "checkpoints do not end a stream");
    streamed.assertSameAs(perStep, "checkpoints every 5 steps");
  }

  @Test
  void aStreamThatBreaks_leavesTheRestOfTheEpochToOneJobPerStep_withTheSameBits() {
    JavaSparkContext sc = SparkTestContext.get();
    RecordedFit perStep = fit(sc, SPEC, 1, true, 3, 0, t -> t);
    RecordedFit broken = fit(sc, SPEC, 0, true, 3, 0, t -> {
      t.stream().breakAt(15); // the fifth step of the second epoch
      return t;
    });
    assertEquals(1, broken.trainer().stream().breaks(), broken.trainer().stream().breakReasons().toString());
    assertEquals(11 + 4 + 11, broken.trainer().stream().steps(), "the first epoch, four steps, the third epoch");
    assertEquals(2, broken.trainer().stream().evaluations(), "the second epoch's validation ran as a job");
    broken.assertSameAs(perStep, "a stream broken at step 15");
  }

  @Test
  void divergence_endsTheChunkWhereTheStepLoopEnds() {
    JavaSparkContext sc = SparkTestContext.get();
    TrainingSpec wild = SPEC.withOptimizer(Optimizer.sgd(1e38));
    DivergenceException a = assertThrows(DivergenceException.class, () -> fit(sc, wild, 1, true, 2, 0, t -> t));
    DivergenceException b = assertThrows(DivergenceException.class, () -> fit(sc, wild, 0, true, 2, 0, t -> t));
    assertEquals(a.globalStep(), b.globalStep());
    assertEquals(a.getMessage(), b.getMessage());
  }

  @Test
  void cancellingTheRunsJobGroup_endsAStreamedFit() throws Exception {
    JavaSparkContext sc = SparkTestContext.get();
    PackedData data = pack(sc, 1000, 2, 8);
    try {
      DistributedTrainer t = new DistributedTrainer(sc, SPEC, data, "cancelled");
      t.stream().inLocalMode(true);
      Thread canceller = new Thread(() -> {
        while (t.stream().steps() < 5) Thread.onSpinWait();
        sc.cancelJobGroup(t.jobGroup());
      });
      canceller.setDaemon(true);
      canceller.start();
      RuntimeException e = assertThrows(RuntimeException.class, () -> t.fit(FitOptions.epochs(200), null),
          () -> "breaks " + t.stream().breakReasons() + ", steps " + t.stepCount() + ", streamed " + t.stream().steps());
      assertTrue(String.valueOf(e.getMessage()).contains("cancelled"), e.toString());
      assertEquals(0, t.stream().breaks(), "a cancellation is not a break: no step runs again as a job");
      assertTrue(t.stepCount() < 200 * 11, "stopped at step " + t.stepCount());
      canceller.join(10_000);
    } finally {
      data.unpersist();
    }
  }

  @Test
  void notStreamed_whereOneTaskDoesIt_orTheWireWouldAddSomethingTurnedOff() {
    JavaSparkContext sc = SparkTestContext.get();
    assertNull(StepStream.unavailable(sc, 2, 1000, 4 << 20, false));
    assertEquals("one partition", StepStream.unavailable(sc, 1, 1000, 4 << 20, false));
    assertNull(StepStream.unavailable(sc, 3, 1000, 4 << 20, false), "three partitions on two slots: tasks of several");
    assertEquals("gradients added on the executors", StepStream.unavailable(sc, 2, 1000, 4 << 20, true));
    assertEquals("weights of 5000000 bytes", StepStream.unavailable(sc, 2, 5_000_000, 4 << 20, false));
    PackedData three = pack(sc, 300, 3, 3);
    PackedData two = pack(sc, 300, 2, 3);
    try {
      DistributedTrainer t = new DistributedTrainer(sc, SPEC, three, "three");
      t.stream().inLocalMode(true).begin(null, 0);
      assertTrue(t.stream().usable(0), "three partitions stream in local[2]'s two slots");
      assertEquals(2, t.stream().tasks());
      t.stream().close();
      DistributedTrainer local = new DistributedTrainer(sc, SPEC, two, "local");
      local.stream().begin(null, 0);
      assertFalse(local.stream().usable(0), "a local master streams only in tests");
      DistributedTrainer outside = new DistributedTrainer(sc, SPEC, two, "outside");
      outside.stream().inLocalMode(true);
      assertFalse(outside.stream().usable(0), "steps outside a fit do not stream");
      outside.step();
      assertEquals(0, outside.stream().steps());
    } finally {
      three.unpersist();
      two.unpersist();
    }
  }

  private static void hello(Socket s, long hi, long lo, long stream) throws java.io.IOException {
    DataOutputStream out = new DataOutputStream(s.getOutputStream());
    out.writeLong(hi);
    out.writeLong(lo);
    out.writeLong(stream);
    out.writeInt(0);
    out.writeLong(0); // the attempt
    out.flush();
  }

  @Test
  void aConnectionWithoutTheTokenOrOfAnotherStream_isClosedUnread() throws Exception {
    try (StepChannel ch = StepChannel.open("127.0.0.1", "127.0.0.1", false)) {
      StepChannel.Address a = ch.address(7);
      try (Socket stranger = new Socket(a.host(), a.port()); Socket late = new Socket(a.host(), a.port());
          Socket task = new Socket(a.host(), a.port())) {
        hello(stranger, a.tokenHi() + 1, a.tokenLo(), 7);
        hello(late, a.tokenHi(), a.tokenLo(), 6); // a task of an earlier, cancelled stream
        hello(task, a.tokenHi(), a.tokenLo(), 7);
        StepChannel.Peer[] peers = ch.accept(7, 1, System.nanoTime() + 10_000_000_000L, () -> true);
        assertEquals(1, peers.length);
        assertEquals(0, peers[0].task);
        assertEquals(-1, stranger.getInputStream().read(), "the stranger's connection is closed");
        assertEquals(-1, late.getInputStream().read(), "the earlier stream's task's connection is closed");
        peers[0].close();
      }
      assertNull(ch.accept(7, 1, System.nanoTime() + 300_000_000L, () -> true), "nobody else: null at the deadline");
    }
  }

  @Test
  void aSealedChannel_acceptsOnlyAConnectionThatSealsUnderTheRunsKey() throws Exception {
    try (StepChannel ch = StepChannel.open("127.0.0.1", "127.0.0.1", true)) {
      StepChannel.Address a = ch.address(7);
      assertEquals(0, a.tokenHi() | a.tokenLo(), "no token in the clear: the key proves a task");
      try (Socket guess = new Socket(a.host(), a.port()); Socket task = new Socket(a.host(), a.port())) {
        hello(guess, 0, 0, 7);
        guess.getOutputStream().write(new byte[StepCipher.TAG_BYTES]); // a proof not sealed under the key
        hello(task, 0, 0, 7);
        byte[] proof = new byte[StepCipher.TAG_BYTES];
        a.up(0).seal(new byte[0], 0, proof);
        task.getOutputStream().write(proof);
        StepChannel.Peer[] peers = ch.accept(7, 1, System.nanoTime() + 10_000_000_000L, () -> true);
        assertEquals(-1, guess.getInputStream().read(), "the guess is closed");
        // a message both ways, sealed
        byte[] m = {1, 2, 3, 4, 5};
        new StepChannel.Outbox(ch.down(7)).set(m, m.length).writeTo(peers[0].out);
        peers[0].out.flush();
        assertArrayEquals(m, new StepChannel.Inbox(a.down()).read(task.getInputStream(), () -> true));
        java.io.DataOutputStream out = new java.io.DataOutputStream(task.getOutputStream());
        StepCipher up = a.up(0);
        up.seal(new byte[0], 0, new byte[StepCipher.TAG_BYTES]); // the proof's counter
        new StepChannel.Outbox(up).set(m, m.length).writeTo(out);
        out.flush();
        assertArrayEquals(m, peers[0].inbox.read(peers[0].in, () -> true));
        peers[0].close();
      }
    }
  }
}
