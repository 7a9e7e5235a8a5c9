package dev.switchboard.forwarder;

import java.io.IOException;

/**
 * A listener could not bind its address (port taken, address not local, ...). The message names the
 * listener and the address, so that a caller can NACK exactly this listener.
 */
public final class ListenerBindException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient ListenerSpec spec;

  public ListenerBindException(ListenerSpec spec, Throwable cause) {
    super("cannot bind " + spec.describe() + ": " + describe(cause), cause);
    this.spec = spec;
  }

  public ListenerSpec spec() {
    return spec;
  }

  private static String describe(Throwable cause) {
    String m = cause.getMessage();
    return m == null ? cause.getClass().getSimpleName() : m;
  }
}
