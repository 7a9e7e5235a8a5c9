package dev.switchboard.controlplane.store;

/** The store could not do what was asked: etcd unreachable, timed out, or refused. */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
