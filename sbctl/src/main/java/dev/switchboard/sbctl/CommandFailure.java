package dev.switchboard.sbctl;

/** A refusal sbctl itself makes (bad arguments, bad manifests): printed as is, exit code 1. */
public final class CommandFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CommandFailure(String message) {
    super(message, null, false, false);
  }
}
