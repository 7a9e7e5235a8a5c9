package dev.switchboard.checks;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks in the project's one message style, {@code name: value (expected: rule)}, so that
 * a wrong call (a listener the agent NACKs, a config a test builds) reads as what was wrong without
 * a debugger. Plain Java: the forwarder uses it and stays a Netty-only library.
 */
public final class Checks {
  private Checks() {}

  public static <T> T notNull(T value, String name) {
    return Objects.requireNonNull(value, () -> name + ": null (expected: non-null)");
  }

  public static int positive(int value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
    return value;
  }

  public static int positiveOrZero(int value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
    }
    return value;
  }

  public static int inRange(int value, int min, int max, String name) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + ": " + value + " (expected: " + min + "-" + max + ")");
    }
    return value;
  }

  public static Duration positive(Duration value, String name) {
    notNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
    return value;
  }

  /** Zero means "disabled" for the timeouts that allow it. */
  public static Duration positiveOrZero(Duration value, String name) {
    notNull(value, name);
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0, 0 = disabled)");
    }
    return value;
  }
}
