package dev.switchboard.forwarder.internal;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A connection's idle timeout as a timestamp and one scheduled check, rather than Netty's {@code
 * IdleStateHandler}, which is a pipeline handler every read passes through and adds a listener to
 * every write: a forwarder already sees each read and write, so {@link #touch()} there and one
 * timer per timeout period do the same. The check re-arms itself for what is left of the period.
 *
 * <p>Concurrency: confined to the connection's event loop (touch, cancel and the check all run
 * there).
 */
public final class IdleTimer {
  private final EventLoop loop;
  private final long timeoutNanos;
  private final Runnable onIdle;
  private long lastActivityNanos;
  private ScheduledFuture<?> check;
  private boolean cancelled;

  private IdleTimer(EventLoop loop, long timeoutNanos, Runnable onIdle) {
    this.loop = loop;
    this.timeoutNanos = timeoutNanos;
    this.onIdle = onIdle;
  }

  /**
   * Starts counting now; {@code onIdle} runs once nothing {@link #touch() moved} for {@code
   * timeout}. Null when {@code timeout} is zero (no idle timeout).
   */
  public static IdleTimer startOrNull(EventLoop loop, Duration timeout, Runnable onIdle) {
    if (timeout.isZero() || timeout.isNegative()) {
      return null;
    }
    IdleTimer t = new IdleTimer(loop, timeout.toNanos(), onIdle);
    t.lastActivityNanos = System.nanoTime();
    t.schedule(t.timeoutNanos);
    return t;
  }

  /** Something was read or written. */
  public void touch() {
    lastActivityNanos = System.nanoTime();
  }

  /** No more checks (the connection ended). */
  public void cancel() {
    cancelled = true;
    if (check != null) {
      check.cancel(false);
    }
  }

  private void schedule(long delayNanos) {
    check = loop.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void check() {
    if (cancelled) {
      return;
    }
    long idle = System.nanoTime() - lastActivityNanos;
    if (idle >= timeoutNanos) {
      onIdle.run();
    } else {
      schedule(timeoutNanos - idle);
    }
  }
}
