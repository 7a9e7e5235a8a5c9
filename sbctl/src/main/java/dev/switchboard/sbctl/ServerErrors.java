package dev.switchboard.sbctl;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * gRPC failures as kubectl words them, on one line: {@code Error from server (Reason): message}
 * with Kubernetes' reason for the gRPC code, or {@code Unable to connect to the server at ...} when
 * there was no server to answer.
 */
public final class ServerErrors {
  private ServerErrors() {}

  /**
   * The line to print; {@code context} (e.g. {@code error when applying "web.yaml": }) may be "".
   */
  public static String line(StatusRuntimeException e, String server, String context) {
    Status status = e.getStatus();
    String description =
        oneLine(
            status.getDescription() == null
                ? status.getCode().toString()
                : status.getDescription());
    if (isConnectionFailure(e)) {
      return "Unable to connect to the server at " + server + ": " + connectionDetail(status);
    }
    return switch (status.getCode()) {
      case DEADLINE_EXCEEDED ->
          "Unable to connect to the server at "
              + server
              + ": no answer in time ("
              + description
              + "; see --request-timeout)";
      case UNIMPLEMENTED ->
          "Error from server (NotFound): "
              + context
              + "the server at "
              + server
              + " does not serve this call: is it a Switchboard control plane? ("
              + description
              + ")";
      default ->
          "Error from server ("
              + reason(status.getCode(), description)
              + "): "
              + context
              + description;
    };
  }

  /** Kubernetes' StatusReason for each gRPC code the Admin API uses. */
  static String reason(Status.Code code, String description) {
    return switch (code) {
      case INVALID_ARGUMENT -> description.contains(" is invalid: ") ? "Invalid" : "BadRequest";
      case NOT_FOUND -> "NotFound";
      case ALREADY_EXISTS -> "AlreadyExists";
      case ABORTED -> "Conflict";
      case FAILED_PRECONDITION -> "Forbidden";
      case UNAVAILABLE -> "ServiceUnavailable";
      case PERMISSION_DENIED -> "Forbidden";
      case UNAUTHENTICATED -> "Unauthorized";
      default -> "InternalError";
    };
  }

  /**
   * UNAVAILABLE from the transport (no server, refused, reset) carries the local cause; the
   * server's own UNAVAILABLE (etcd down) arrives without one.
   */
  public static boolean isConnectionFailure(StatusRuntimeException e) {
    return e.getStatus().getCode() == Status.Code.UNAVAILABLE
        && (e.getStatus().getCause() != null
            || NETWORK_CLOSED.equals(e.getStatus().getDescription()));
  }

  /** grpc-java's words when the connection closed under the call, with no cause attached. */
  private static final String NETWORK_CLOSED = "Network closed for unknown reason";

  private static String connectionDetail(Status status) {
    if (status.getCause() == null) {
      // A TLS server closes a plaintext client's connection at its first bytes.
      return "the connection was closed at the first call (if the server serves TLS, drop --insecure"
          + " and SWITCHBOARD_INSECURE)";
    }
    Throwable cause = status.getCause();
    while (cause.getCause() != null && cause.getMessage() == null) {
      cause = cause.getCause();
    }
    String message =
        cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    int at = message.indexOf(": /"); // netty's "Connection refused: /127.0.0.1:9440"
    String detail = oneLine(at > 0 ? message.substring(0, at) : message);
    if (detail.contains("PKIX") || detail.contains("No subject alternative")) {
      return detail
          + " (the server's certificate is not trusted: pass its CA with"
          + " --certificate-authority or SWITCHBOARD_CA)";
    }
    return detail;
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
