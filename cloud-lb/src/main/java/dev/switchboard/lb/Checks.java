package dev.switchboard.lb;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks in the project's one message style, {@code name: value (expected: ...)}, so that a
 * wrong flag or a wrong call reads as what was wrong without a debugger.
 */
public final class Checks {
    private Checks() {
    }

    public static <T> T notNull(T value, String name) {
        return Objects.requireNonNull(value, () -> name + ": null (expected: non-null)");
    }

    public static int inRange(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + "-" + max + ")");
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
}
