package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.forwarder.pick.EndpointPicker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A listener that accepts PROXY headers (what a node's NodePort does behind a cloud-lb sending
 * them): the header is removed, the client it names is the one the endpoint is picked for and
 * reported; a client without a header is served as itself, also one that waits for the server to
 * speak first; an incomplete header is closed.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProxyHeaderTest extends ForwarderTestSupport {
  /** Every client address a pick was made for. */
  private final List<InetSocketAddress> pickedFor = new CopyOnWriteArrayList<>();

  private final EndpointPicker recordingPicker =
      (set, client, excluded) -> {
        pickedFor.add(client);
        return set.candidates().stream()
            .filter(e -> !excluded.contains(e.socketAddress()))
            .findFirst()
            .orElse(null);
      };

  private Listener listener(int n, TcpBackend backend, boolean splice) throws Exception {
    return tcpListener(
        n,
        ServiceTarget.of(backend.endpoint()),
        ListenerOptions.DEFAULTS
            .withSplice(splice)
            .withAcceptProxyHeader(true)
            .withConnectTimeout(Duration.ofMillis(500))
            .withPicker(() -> recordingPicker));
  }

  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void aV2HeaderIsRemovedAndNamesTheClient(boolean splice) throws Exception {
    TcpBackend b = backend(41, TcpBackend.ECHO);
    Listener l = listener(41, b, splice);
    try (Socket s = connectFrom("127.0.30.5", l.localAddress())) {
      OutputStream out = s.getOutputStream();
      ByteArrayOutputStream first = new ByteArrayOutputStream();
      first.write(ProxyHeaderBytes.v2("127.0.77.7", 4242, "127.0.2.9", 80));
      first.write("bytes in the same segment".getBytes(StandardCharsets.UTF_8));
      out.write(first.toByteArray());
      out.flush();
      InputStream in = s.getInputStream();
      assertThat(new String(in.readNBytes(25), StandardCharsets.UTF_8))
          .isEqualTo("bytes in the same segment");
      assertEchoes(s, "and later ones");
    }
    assertThat(pickedFor).containsExactly(new InetSocketAddress("127.0.77.7", 4242));
    await().atMost(Duration.ofSeconds(5)).until(() -> observer.closed.size() == 1);
    assertThat(observer.closed.get(0).outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(observer.closed.get(0).bytesFromClient())
        .isEqualTo(25 + 14); // the header is not forwarded
  }

  @Test
  void aV1HeaderWorksToo() throws Exception {
    TcpBackend b = backend(42, TcpBackend.ECHO);
    Listener l = listener(42, b, false);
    try (Socket s = connectFrom("127.0.30.6", l.localAddress())) {
      s.getOutputStream()
          .write("PROXY TCP4 127.0.77.8 127.0.2.9 5555 80\r\n".getBytes(StandardCharsets.US_ASCII));
      assertEchoes(s, "after a v1 header");
    }
    assertThat(pickedFor).containsExactly(new InetSocketAddress("127.0.77.8", 5555));
  }

  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void aClientWithoutAHeaderIsServedAsItself(boolean splice) throws Exception {
    TcpBackend b = backend(43, TcpBackend.ECHO);
    Listener l = listener(43, b, splice);
    try (Socket s = connectFrom("127.0.30.7", l.localAddress())) {
      assertEchoes(s, "GET / HTTP/1.0\r\n\r\n");
      assertEchoes(s, "more");
    }
    assertThat(pickedFor).hasSize(1);
    assertThat(pickedFor.get(0).getAddress()).isEqualTo(InetAddress.getByName("127.0.30.7"));
  }

  @Test
  void aClientWaitingForTheServerIsServedAfterTheConnectTimeout() throws Exception {
    TcpBackend b = backend(44, TcpBackend.NAME_THEN_ECHO);
    Listener l = listener(44, b, false);
    long start = System.nanoTime();
    try (Socket s = connectFrom("127.0.30.8", l.localAddress())) {
      assertThat(TcpBackend.readLine(s)).isEqualTo("b44");
      assertEchoes(s, "then it talks");
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(500));
    assertThat(pickedFor.get(0).getAddress()).isEqualTo(InetAddress.getByName("127.0.30.8"));
  }

  @Test
  void anIncompleteHeaderIsClosedWithoutReachingAnEndpoint() throws Exception {
    TcpBackend b = backend(45, TcpBackend.ECHO);
    Listener l = listener(45, b, false);
    try (Socket s = connectFrom("127.0.30.9", l.localAddress())) {
      byte[] header = ProxyHeaderBytes.v2("127.0.77.9", 1, "127.0.2.9", 80);
      s.getOutputStream().write(header, 0, 20); // signature and part of the addresses, then silence
      s.getOutputStream().flush();
      int got;
      try {
        got = s.getInputStream().read();
      } catch (IOException reset) {
        got = -1;
      }
      assertThat(got).isEqualTo(-1);
    }
    assertThat(b.accepted.get()).isZero();
    await().atMost(Duration.ofSeconds(5)).until(() -> observer.closed.size() == 1);
    assertThat(observer.closed.get(0).outcome()).isEqualTo(Outcome.ERROR);
  }
}
