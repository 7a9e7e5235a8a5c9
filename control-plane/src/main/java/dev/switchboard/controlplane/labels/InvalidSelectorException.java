package dev.switchboard.controlplane.labels;

/**
 * A label selector string that does not parse, or names an invalid key or value. The message quotes
 * the selector and says what was found and what was expected; the Admin API answers it with
 * INVALID_ARGUMENT.
 */
public final class InvalidSelectorException extends IllegalArgumentException {
  private final String selector;
  private final String reason;

  public InvalidSelectorException(String selector, String reason) {
    super("invalid label selector \"" + selector + "\": " + reason);
    this.selector = selector;
    this.reason = reason;
  }

  /** The selector as given. */
  public String selector() {
    return selector;
  }

  /** What is wrong, without the selector, e.g. "found ')', expected: identifier". */
  public String reason() {
    return reason;
  }
}
