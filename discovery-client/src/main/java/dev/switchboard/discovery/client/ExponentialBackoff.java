package dev.switchboard.discovery.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Capped exponential backoff with jitter: {@code initial * multiplier^(failures-1)}, at most {@code
 * max}, then scaled by a random factor in {@code [1 - jitter, 1]}. The jitter spreads the
 * reconnections of every agent after a control-plane restart; it only ever shortens a delay, so the
 * cap holds.
 */
public final class ExponentialBackoff implements Backoff {
  private final Duration initial;
  private final Duration max;
  private final double multiplier;
  private final double jitter;
  private final DoubleSupplier random;

  /**
   * @param random uniform in [0, 1); tests pass a fixed one
   */
  public ExponentialBackoff(
      Duration initial, Duration max, double multiplier, double jitter, DoubleSupplier random) {
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial: " + initial + " (expected: > 0)");
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= initial " + initial + ")");
    }
    if (!(multiplier >= 1.0)) {
      throw new IllegalArgumentException("multiplier: " + multiplier + " (expected: >= 1)");
    }
    if (!(jitter >= 0.0 && jitter < 1.0)) {
      throw new IllegalArgumentException("jitter: " + jitter + " (expected: 0 <= jitter < 1)");
    }
    this.initial = initial;
    this.max = max;
    this.multiplier = multiplier;
    this.jitter = jitter;
    this.random = random;
  }

  /** 100 ms doubling up to {@code max}, with 20% jitter. */
  public static ExponentialBackoff standard(Duration max) {
    return new ExponentialBackoff(
        Duration.ofMillis(100), max, 2.0, 0.2, () -> ThreadLocalRandom.current().nextDouble());
  }

  @Override
  public Duration delay(int failures) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures: " + failures + " (expected: >= 1)");
    }
    double nanos = initial.toNanos() * Math.pow(multiplier, Math.min(failures - 1, 64));
    double capped = Math.min(nanos, max.toNanos());
    double jittered = capped * (1.0 - jitter * random.getAsDouble());
    return Duration.ofNanos((long) jittered);
  }
}
