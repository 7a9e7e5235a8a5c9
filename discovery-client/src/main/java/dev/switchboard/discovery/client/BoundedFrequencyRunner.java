package dev.switchboard.discovery.client;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a task (the proxier's sync) on request, kube-proxy's BoundedFrequencyRunner: at most one run
 * in flight, runs started at least {@code minInterval} apart, and any number of requests made
 * meanwhile merged into one later run. A burst of changes therefore costs one sync per interval,
 * and a lone change is applied at once.
 *
 * <p>With a {@code maxInterval}, a run also happens that long after the last one even without a
 * request (a periodic resync, which retries what failed).
 */
public final class BoundedFrequencyRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BoundedFrequencyRunner.class);

  private final String name;
  private final Runnable task;
  private final long minIntervalNanos;
  private final long maxIntervalNanos;
  private final ScheduledExecutorService executor;
  private final LongSupplier nanoClock;

  @GuardedBy("this")
  private ScheduledFuture<?> scheduled;

  @GuardedBy("this")
  private long scheduledAtNanos;

  @GuardedBy("this")
  private boolean running;

  @GuardedBy("this")
  private boolean requestedWhileRunning;

  @GuardedBy("this")
  private long lastStartNanos;

  @GuardedBy("this")
  private boolean everRun;

  @GuardedBy("this")
  private boolean closed;

  /**
   * @param maxInterval {@link Duration#ZERO} for no periodic run
   * @param executor runs the task; need not be single-threaded
   */
  public BoundedFrequencyRunner(
      String name,
      Runnable task,
      Duration minInterval,
      Duration maxInterval,
      ScheduledExecutorService executor,
      LongSupplier nanoClock) {
    if (minInterval.isNegative()) {
      throw new IllegalArgumentException("minInterval: " + minInterval + " (expected: >= 0)");
    }
    if (maxInterval.isNegative()
        || (!maxInterval.isZero() && maxInterval.compareTo(minInterval) < 0)) {
      throw new IllegalArgumentException(
          "maxInterval: "
              + maxInterval
              + " (expected: 0 for none, or >= minInterval "
              + minInterval
              + ")");
    }
    this.name = name;
    this.task = task;
    this.minIntervalNanos = minInterval.toNanos();
    this.maxIntervalNanos = maxInterval.toNanos();
    this.executor = executor;
    this.nanoClock = nanoClock;
  }

  /** Asks for a run as soon as the minimum interval allows. Never blocks. */
  public synchronized void run() {
    if (closed) {
      return;
    }
    if (running) {
      requestedWhileRunning = true;
      return;
    }
    long now = nanoClock.getAsLong();
    long due = everRun ? Math.max(now, lastStartNanos + minIntervalNanos) : now;
    scheduleAt(due, now);
  }

  @GuardedBy("this")
  private void scheduleAt(long dueNanos, long now) {
    if (scheduled != null) {
      if (scheduledAtNanos <= dueNanos) {
        return; // an earlier run is already planned: it covers this request
      }
      scheduled.cancel(false);
    }
    scheduledAtNanos = dueNanos;
    scheduled = executor.schedule(this::execute, Math.max(0, dueNanos - now), TimeUnit.NANOSECONDS);
  }

  private void execute() {
    synchronized (this) {
      if (closed || running) {
        return;
      }
      scheduled = null;
      running = true;
      requestedWhileRunning = false;
      lastStartNanos = nanoClock.getAsLong();
      everRun = true;
    }
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("{}: run failed", name, e);
    } finally {
      synchronized (this) {
        running = false;
        if (!closed) {
          long now = nanoClock.getAsLong();
          if (requestedWhileRunning) {
            requestedWhileRunning = false;
            scheduleAt(Math.max(now, lastStartNanos + minIntervalNanos), now);
          } else if (maxIntervalNanos > 0) {
            scheduleAt(lastStartNanos + maxIntervalNanos, now);
          }
        }
      }
    }
  }

  /** Stops scheduling runs; a run in flight finishes. */
  @Override
  public synchronized void close() {
    closed = true;
    if (scheduled != null) {
      scheduled.cancel(false);
      scheduled = null;
    }
  }
}
