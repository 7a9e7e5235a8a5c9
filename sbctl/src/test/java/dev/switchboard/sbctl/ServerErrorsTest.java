package dev.switchboard.sbctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class ServerErrorsTest {
  private static String line(Status status) {
    return ServerErrors.line(status.asRuntimeException(), "127.0.0.1:9440", "");
  }

  @Test
  void grpcCodesBecomeKubernetesReasons() {
    assertThat(line(Status.INVALID_ARGUMENT.withDescription("Service \"web\" is invalid: x")))
        .isEqualTo("Error from server (Invalid): Service \"web\" is invalid: x");
    assertThat(line(Status.INVALID_ARGUMENT.withDescription("bad selector")))
        .isEqualTo("Error from server (BadRequest): bad selector");
    assertThat(line(Status.NOT_FOUND.withDescription("services \"x\" not found")))
        .isEqualTo("Error from server (NotFound): services \"x\" not found");
    assertThat(line(Status.ALREADY_EXISTS.withDescription("services \"x\" already exists")))
        .isEqualTo("Error from server (AlreadyExists): services \"x\" already exists");
    assertThat(line(Status.ABORTED.withDescription("Operation cannot be fulfilled")))
        .isEqualTo("Error from server (Conflict): Operation cannot be fulfilled");
    assertThat(line(Status.FAILED_PRECONDITION.withDescription("has a selector")))
        .isEqualTo("Error from server (Forbidden): has a selector");
    assertThat(line(Status.RESOURCE_EXHAUSTED.withDescription("range is full")))
        .isEqualTo("Error from server (InternalError): range is full");
    assertThat(line(Status.UNAVAILABLE.withDescription("etcd unreachable")))
        .isEqualTo("Error from server (ServiceUnavailable): etcd unreachable");
    assertThat(line(Status.INTERNAL.withDescription("boom\n  at x")))
        .isEqualTo("Error from server (InternalError): boom at x");
  }

  @Test
  void aConnectionClosedUnderTheCallSuggestsTlsWasExpected() {
    assertThat(line(Status.UNAVAILABLE.withDescription("Network closed for unknown reason")))
        .isEqualTo(
            "Unable to connect to the server at 127.0.0.1:9440: the connection was closed at the"
                + " first call (if the server serves TLS, drop --insecure and SWITCHBOARD_INSECURE)");
  }

  @Test
  void noServerIsUnableToConnect() {
    assertThat(
            line(
                Status.UNAVAILABLE
                    .withDescription("io exception")
                    .withCause(new ConnectException("Connection refused: /127.0.0.1:9440"))))
        .isEqualTo("Unable to connect to the server at 127.0.0.1:9440: Connection refused");
  }
}
