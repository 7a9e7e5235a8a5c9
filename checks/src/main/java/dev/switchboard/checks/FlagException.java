package dev.switchboard.checks;

/**
 * A flag's value broke its rule: {@code --flag: value (expected: rule)}. Thrown from a command's
 * {@code call()}, {@link Flags#run} reports it as a bad flag (one line, exit 2), not a failure.
 */
public final class FlagException extends IllegalArgumentException {
  public FlagException(String flag, String value, String rule) {
    super(flag + ": " + value + " (expected: " + rule + ")");
  }
}
