package dev.switchboard.launcher;

/** A start that cannot go on: the message is the one line the user sees. */
final class LaunchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  LaunchException(String message) {
    super(message, null, false, false);
  }
}
