package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.forwarder.pick.EndpointSet;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The preamble reaches the endpoint first, whole, in copy and in splice mode, and after a retry; a
 * preamble that cannot be built fails the connection as every failure before forwarding does.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PreambleTest extends ForwarderTestSupport {

  /** Reads one line (the preamble), answers it back, then echoes. */
  private static final TcpBackend.Behaviour LINE_THEN_ECHO =
      (s, b) -> {
        String line = TcpBackend.readLine(s);
        s.getOutputStream()
            .write((b.name + " got " + line + "\n").getBytes(StandardCharsets.UTF_8));
        TcpBackend.echo(s);
      };

  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void preambleComesBeforeTheClientsBytes(boolean splice) throws Exception {
    TcpBackend b = backend(31, LINE_THEN_ECHO);
    ConnectionPreamble preamble =
        (alloc, c, e) -> {
          ByteBuf buf = alloc.buffer();
          buf.writeCharSequence(
              "from "
                  + c.client().getAddress().getHostAddress()
                  + " to "
                  + c.listenerAddress().getPort()
                  + " via "
                  + e.getPort()
                  + "\n",
              StandardCharsets.US_ASCII);
          return buf;
        };
    // The first endpoint refuses: the preamble goes to the one that answers, once.
    InetSocketAddress refusing = new InetSocketAddress("127.0.10.32", FreePort.get());
    Listener l =
        tcpListener(
            31,
            ServiceTarget.of(Endpoint.ready(refusing), b.endpoint()),
            ListenerOptions.DEFAULTS
                .withSplice(splice)
                .withConnectTimeout(Duration.ofSeconds(2))
                .withMaxConnectAttempts(2)
                .withPreamble(preamble)
                .withPicker(() -> InOrder::pick));

    for (int i = 0; i < 4; i++) {
      try (Socket s = connectFrom("127.0.30.5", l.localAddress())) {
        s.getOutputStream()
            .write("early bytes".getBytes(StandardCharsets.UTF_8)); // before the endpoint answers
        assertThat(TcpBackend.readLine(s))
            .isEqualTo(
                "b31 got from 127.0.30.5 to "
                    + l.localAddress().getPort()
                    + " via "
                    + b.address().getPort());
        InputStream in = s.getInputStream();
        assertThat(new String(in.readNBytes(11), StandardCharsets.UTF_8)).isEqualTo("early bytes");
        assertEchoes(s, "and later ones");
      }
    }
    assertThat(b.accepted.get()).isEqualTo(4);
    assertThat(l.stats().connectRetries()).isEqualTo(4);
  }

  /**
   * A preamble that throws is the caller's bug: the endpoint gets nothing (its socket is closed),
   * the client is reset as when no endpoint answers (nothing of an endpoint's reached it), and the
   * connection ends as ERROR. HTTP/1.1 mode does the same (HttpForwardingTest).
   */
  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void aPreambleThatThrowsResetsTheClientAndSendsTheEndpointNothing(boolean splice)
      throws Exception {
    AtomicInteger endpointGot = new AtomicInteger(-1);
    TcpBackend b =
        backend(33, (s, backend) -> endpointGot.set(s.getInputStream().readAllBytes().length));
    ConnectionPreamble broken =
        (alloc, c, e) -> {
          throw new IllegalStateException("no header for you");
        };
    Listener l =
        tcpListener(
            33,
            ServiceTarget.of(b.endpoint()),
            ListenerOptions.DEFAULTS.withSplice(splice).withPreamble(broken));

    // It sends nothing: a close with unread bytes would be a reset anyway; this one is ours. The
    // reset may come before connect() returns (the kernel completes the handshake, the forwarder
    // accepts and resets, and the client's connect then reads ECONNRESET as SO_ERROR: seen in CI),
    // or on the first read: either way the client sees a reset and nothing else.
    assertThatThrownBy(
            () -> {
              try (Socket s = connect(l.localAddress())) {
                s.getInputStream().read();
              }
            })
        .isInstanceOf(SocketException.class)
        .hasMessageContaining("reset");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> observer.closed.size() == 1 && endpointGot.get() >= 0);
    ConnectionSummary summary = observer.closed.get(0);
    assertThat(summary.outcome()).isEqualTo(Outcome.ERROR);
    assertThat(summary.connectAttempts()).isEqualTo(1);
    assertThat(summary.endpoint()).contains(b.endpoint());
    assertThat(summary.bytesFromClient()).isZero();
    assertThat(endpointGot.get()).as("bytes the endpoint received").isZero();
    assertThat(l.stats().activeConnections()).isZero();
  }

  /** The first candidate not tried yet: the refusing endpoint is always tried first. */
  private static final class InOrder {
    static Endpoint pick(
        EndpointSet set, InetSocketAddress client, Set<InetSocketAddress> excluded) {
      return set.candidates().stream()
          .filter(e -> !excluded.contains(e.socketAddress()))
          .findFirst()
          .orElse(null);
    }
  }

  /** A free port nobody listens on (bound, then released). */
  private static final class FreePort {
    static int get() throws IOException {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.10.32"))) {
        return s.getLocalPort();
      }
    }
  }
}
