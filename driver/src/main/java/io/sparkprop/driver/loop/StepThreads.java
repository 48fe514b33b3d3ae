package io.sparkprop.driver.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * The threads that run a task's extra items beside the task's own thread: a block's gradient, a
 * slice of the gradient sum or of the optimizer update. A step hands work over three times (the
 * blocks, the sum, the update) a few tens of microseconds apart, and waking a parked thread (a
 * futex wake and, under a hypervisor, an interrupt to a halted virtual core) can cost more than
 * the sum's whole slice. So a helper that finishes an item spins for
 * {@link #HELPER_SPIN_NANOS} waiting for the next before it parks, and the task's thread spins
 * up to {@link #WAITER_SPIN_NANOS} for the helpers' items before it parks; both spin with
 * {@link Thread#onSpinWait()}, yielding the core every {@link #YIELD_NANOS}. A helper idle for a
 * minute ends, as pooled threads did before.
 */
final class StepThreads {
  /** How long a helper waits spinning for its next item: longer than the gap between a step's phases. */
  static final long HELPER_SPIN_NANOS = 200_000;
  /** How long a task's thread spins for its helpers' items (a block's share of a batch varies) before it parks. */
  static final long WAITER_SPIN_NANOS = 1_000_000;
  private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);
  /**
   * How often a spinning thread yields its core. A fresh JVM compiles the step's code on its
   * compiler threads during the first epoch, on the same two cores as the step's two threads; a
   * thread that only spins while it waits holds a core that the compiler thread, or the very
   * thread it waits for, could run on. A yield costs about a microsecond when nothing else is
   * waiting for the core, so later steps lose nothing (docs/benchmarks.md has the measurements).
   */
  static final long YIELD_NANOS = 10_000;

  /** Idle helpers, the most recently idle (the one most likely still spinning) first. */
  private static final ConcurrentLinkedDeque<Helper> IDLE = new ConcurrentLinkedDeque<>();

  private StepThreads() {}

  /**
   * Runs {@code work(0..count-1)}, item 0 on this thread and the others on helper threads;
   * returns the results in item order. A failure of any item is rethrown here once every item has
   * ended (the items write into the caller's buffers); an interrupt while waiting is kept and set
   * again on return.
   */
  static <T> List<T> each(int count, IntFunction<T> work) {
    if (count <= 0) return new ArrayList<>();
    List<Item<T>> items = new ArrayList<>(count - 1);
    for (int j = 1; j < count; j++) {
      Item<T> item = new Item<>(work, j, Thread.currentThread());
      items.add(item);
      start(item);
    }
    List<T> out = new ArrayList<>(count);
    Throwable first = null;
    try {
      out.add(work.apply(0));
    } catch (RuntimeException | Error e) {
      first = e;
      out.add(null);
    }
    boolean interrupted = false;
    for (Item<T> item : items) {
      interrupted |= item.await();
      if (item.failure != null && first == null) first = item.failure;
      out.add(item.result);
    }
    if (interrupted) Thread.currentThread().interrupt();
    if (first instanceof RuntimeException r) throw r;
    if (first instanceof Error er) throw er;
    if (first != null) throw new IllegalStateException(first);
    return out;
  }

  /**
   * One turn of a spin wait at {@code now}: a pause, or, once {@code yieldAt} has passed, a yield
   * of the core (to a thread the scheduler has waiting for it: a JIT compiler thread, or the very
   * item being waited for); returns the next time to yield.
   */
  private static long spin(long now, long yieldAt) {
    if (now < yieldAt) {
      Thread.onSpinWait();
      return yieldAt;
    }
    Thread.yield();
    return now + YIELD_NANOS;
  }

  private static void start(Item<?> item) {
    Helper h;
    while ((h = IDLE.pollFirst()) != null) {
      if (h.give(item)) return;
    }
    new Helper(item).start();
  }

  /** One item of {@link #each}: run on a helper, awaited by the thread that handed it over. */
  private static final class Item<T> implements Runnable {
    private final IntFunction<T> work;
    private final int index;
    private final Thread waiter;
    private volatile boolean done;
    private T result;
    private Throwable failure;

    Item(IntFunction<T> work, int index, Thread waiter) {
      this.work = work;
      this.index = index;
      this.waiter = waiter;
    }

    @Override
    public void run() {
      try {
        result = work.apply(index);
      } catch (Throwable t) {
        failure = t;
      }
      done = true; // publishes result and failure
      LockSupport.unpark(waiter);
    }

    /** Waits for the item; true when the waiting thread was interrupted meanwhile (the flag is cleared). */
    boolean await() {
      long spinUntil = System.nanoTime() + WAITER_SPIN_NANOS;
      for (long now = System.nanoTime(), yieldAt = now + YIELD_NANOS; !done && now < spinUntil; now = System.nanoTime()) {
        yieldAt = spin(now, yieldAt);
      }
      boolean interrupted = false;
      while (!done) {
        LockSupport.park(this);
        if (Thread.interrupted()) interrupted = true;
      }
      return interrupted;
    }
  }

  /** A daemon thread that runs the items given to it, waiting spinning and then parked between them. */
  private static final class Helper extends Thread {
    private static final int RUNNING = 0;
    private static final int WAITING = 1;
    private static final int ENDED = 2;
    /** RUNNING an item; WAITING in {@link #IDLE} for one; ENDED: takes no more. Giving is a CAS from WAITING. */
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private volatile Runnable next;

    Helper(Runnable first) {
      super("sparkprop-step");
      setDaemon(true);
      this.next = first;
    }

    /** Hands an item to this helper, taken from {@link #IDLE}; false if it ended meanwhile. */
    boolean give(Runnable item) {
      if (!state.compareAndSet(WAITING, RUNNING)) return false;
      next = item;
      LockSupport.unpark(this);
      return true;
    }

    @Override
    public void run() {
      for (Runnable item = next; item != null; item = awaitNext()) {
        next = null;
        item.run();
      }
    }

    /** Back in {@link #IDLE}, the next item given, or null after a minute without one (the helper then ends). */
    private Runnable awaitNext() {
      state.set(WAITING);
      IDLE.addFirst(this);
      long now = System.nanoTime();
      long spinUntil = now + HELPER_SPIN_NANOS;
      long idleUntil = now + IDLE_NANOS;
      Runnable item;
      for (long t = now, yieldAt = now + YIELD_NANOS; (item = next) == null && t < spinUntil; t = System.nanoTime()) {
        yieldAt = spin(t, yieldAt);
      }
      while (item == null) {
        long left = idleUntil - System.nanoTime();
        if (left <= 0 && state.compareAndSet(WAITING, ENDED)) {
          IDLE.removeFirstOccurrence(this);
          return null;
        }
        // given (its item is on the way), or still waiting
        LockSupport.parkNanos(this, Math.max(left, 1_000));
        Thread.interrupted(); // nothing interrupts a helper on purpose
        item = next;
      }
      return item;
    }
  }
}
