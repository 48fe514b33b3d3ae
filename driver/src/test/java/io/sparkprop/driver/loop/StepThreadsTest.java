package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class StepThreadsTest {
  @Test
  void each_runsItemZeroHere_andTheOthersOnOtherThreads_returningByItem() {
    Thread caller = Thread.currentThread();
    List<Thread> ran = new ArrayList<>(java.util.Collections.nCopies(5, null));
    List<Integer> out = StepThreads.each(5, j -> {
      synchronized (ran) {
        ran.set(j, Thread.currentThread());
      }
      return j * 10;
    });
    assertEquals(List.of(0, 10, 20, 30, 40), out);
    assertEquals(caller, ran.get(0));
    for (int j = 1; j < 5; j++) {
      assertNotEquals(caller, ran.get(j), "item " + j);
      assertTrue(ran.get(j).isDaemon() && ran.get(j).getName().equals("sparkprop-step"), ran.get(j).getName());
    }
    assertEquals(List.of(), StepThreads.each(0, j -> j));
    assertEquals(List.of(7), StepThreads.each(1, j -> 7));
  }

  @Test
  void each_runsTheItemsAtOnce() throws Exception {
    // every item waits for all three: they can only end if they run on three threads at once
    CountDownLatch all = new CountDownLatch(3);
    List<Boolean> met = StepThreads.each(3, j -> {
      all.countDown();
      try {
        return all.await(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertEquals(List.of(true, true, true), met);
  }

  @Test
  void helpers_areReusedFromStepToStep_notStartedAnew() {
    Set<Thread> helpers = ConcurrentHashMap.newKeySet();
    for (int step = 0; step < 2000; step++) {
      StepThreads.each(2, j -> {
        if (j > 0) helpers.add(Thread.currentThread());
        return null;
      });
    }
    // other test classes' tasks may hold a helper or two at the same moment
    assertTrue(helpers.size() <= 4, helpers.size() + " helper threads ran 2000 one-helper steps");
  }

  @Test
  void each_rethrowsTheFirstFailureByItem_afterEveryItemEnded() {
    AtomicIntegerArray ended = new AtomicIntegerArray(4);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StepThreads.each(4, j -> {
      if (j == 1 || j == 3) throw new IllegalArgumentException("block " + j + " is bad");
      try {
        Thread.sleep(j == 2 ? 200 : 0);
      } catch (InterruptedException x) {
        Thread.currentThread().interrupt();
      }
      ended.set(j, 1);
      return j;
    }));
    assertEquals("block 1 is bad", e.getMessage());
    assertTrue(ended.get(0) == 1 && ended.get(2) == 1, "the other items ran to their end before the failure came back");
    AssertionError err = assertThrows(AssertionError.class, () -> StepThreads.each(2, j -> {
      if (j == 1) throw new AssertionError("an error on a helper");
      return j;
    }));
    assertEquals("an error on a helper", err.getMessage());
  }

  @Test
  void anInterruptWhileWaiting_waitsForTheItemsAnyway_andIsSetAgainOnReturn() throws Exception {
    AtomicBoolean itemEnded = new AtomicBoolean();
    AtomicBoolean flagAfter = new AtomicBoolean();
    CountDownLatch waiting = new CountDownLatch(1);
    Thread caller = new Thread(() -> {
      StepThreads.each(2, j -> {
        if (j == 0) {
          waiting.countDown();
          return null;
        }
        try {
          Thread.sleep(300); // past the caller's spin, so it parks
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        itemEnded.set(true);
        return null;
      });
      flagAfter.set(itemEnded.get() && Thread.currentThread().isInterrupted());
    });
    caller.start();
    waiting.await();
    Thread.sleep(50);
    caller.interrupt();
    caller.join(10_000);
    assertTrue(flagAfter.get(), "each returned after its item ended, with the interrupt set again");
  }

  @Test
  void manyCallersAtOnce_eachGetTheirOwnResults() throws Exception {
    int callers = 6;
    List<Thread> threads = new ArrayList<>();
    AtomicIntegerArray wrong = new AtomicIntegerArray(callers);
    for (int c = 0; c < callers; c++) {
      int id = c;
      Thread t = new Thread(() -> {
        for (int step = 0; step < 500; step++) {
          int s = step;
          List<Integer> out = StepThreads.each(3, j -> id * 1_000_000 + s * 10 + j);
          for (int j = 0; j < 3; j++) {
            if (out.get(j) != id * 1_000_000 + s * 10 + j) wrong.incrementAndGet(id);
          }
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) t.join(60_000);
    for (int c = 0; c < callers; c++) assertEquals(0, wrong.get(c), "caller " + c);
  }
}
