package dev.switchboard.controlplane.registry;

/**
 * A refusal with Kubernetes' reason and message. The Admin API maps the reason to its gRPC code;
 * the registry itself knows nothing of gRPC.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a request was refused; each maps to one gRPC status code. */
  public enum Reason {
    ALREADY_EXISTS,
    NOT_FOUND,
    /** A stale resource_version (gRPC ABORTED). */
    CONFLICT,
    FAILED_PRECONDITION,
    /** An address or port range is full (gRPC RESOURCE_EXHAUSTED). */
    EXHAUSTED,
    /** A requested value is taken (gRPC INVALID_ARGUMENT, as Kubernetes' Invalid). */
    INVALID,
    /**
     * The caller may not do this to this object (gRPC PERMISSION_DENIED, Kubernetes' Forbidden).
     */
    FORBIDDEN
  }

  private final Reason reason;

  public ApiException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  public static ApiException notFound(String kind, String namespace, String name) {
    return new ApiException(
        Reason.NOT_FOUND,
        kind
            + " \""
            + name
            + "\" not found"
            + (namespace.isEmpty() ? "" : " in namespace \"" + namespace + "\""));
  }

  public static ApiException alreadyExists(String kind, String name) {
    return new ApiException(Reason.ALREADY_EXISTS, kind + " \"" + name + "\" already exists");
  }

  /** Kubernetes' conflict message for a stale resourceVersion. */
  public static ApiException conflict(String kind, String name) {
    return new ApiException(
        Reason.CONFLICT,
        "Operation cannot be fulfilled on "
            + kind
            + " \""
            + name
            + "\": the object has been modified; please apply your changes to the"
            + " latest version and try again");
  }
}
