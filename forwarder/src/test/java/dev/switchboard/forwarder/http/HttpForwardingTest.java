package dev.switchboard.forwarder.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionObserver;
import dev.switchboard.forwarder.ConnectionPreamble;
import dev.switchboard.forwarder.ConnectionSummary;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Forwarder;
import dev.switchboard.forwarder.ForwarderOptions;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerOptions;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.ServiceTarget;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HTTP/1.1 mode: every request passes the observer (which sets a header here), keep-alive and
 * pipelining arrive whole and in order over one endpoint connection, large responses pass under
 * back-pressure, and each exchange completes once. Real sockets on 127.0.0.0/8 only.
 */
@Timeout(30)
class HttpForwardingTest {
  private final List<String> completed = new CopyOnWriteArrayList<>();
  private final List<ConnectionSummary> closed = new CopyOnWriteArrayList<>();
  private final AtomicInteger hops = new AtomicInteger();

  /** The client each request came from, as the observer was told. */
  private final List<InetSocketAddress> clients = new CopyOnWriteArrayList<>();

  private Forwarder forwarder;
  private RawHttp.Backend backend;
  private Listener listener;

  /** The same, accepting PROXY headers (a NodePort behind a cloud-lb that sends them). */
  private Listener proxied;

  @BeforeEach
  void start() throws Exception {
    backend = new RawHttp.Backend("127.0.10.31");
    forwarder =
        Forwarder.create(
            ForwarderOptions.defaults()
                .withIoThreads(2)
                .withObserver(
                    new ConnectionObserver() {
                      @Override
                      public void onClose(ConnectionInfo connection, ConnectionSummary summary) {
                        closed.add(summary);
                      }
                    }));
    HttpExchangeObserver observer =
        (connection, endpoint, request) -> {
          clients.add(connection.client());
          String hop = Integer.toString(hops.incrementAndGet());
          request.headers().set("x-hop", hop);
          String uri = request.uri();
          return new HttpExchangeObserver.Exchange() {
            @Override
            public void onComplete() {
              completed.add(uri + "#" + hop);
            }

            @Override
            public void onFailed(String reason) {
              completed.add(uri + "#failed");
            }
          };
        };
    ListenerSpec spec =
        ListenerSpec.tcp("default/web:http", new InetSocketAddress("127.0.0.1", 0))
            .withHttp(HttpOptions.of(observer));
    ServiceTarget target =
        ServiceTarget.of(Endpoint.ready(new InetSocketAddress("127.0.10.31", backend.port())));
    listener = forwarder.addListener(spec, target).get();
    proxied =
        forwarder
            .addListener(
                new ListenerSpec(
                    "default/web:proxied",
                    spec.protocol(),
                    new InetSocketAddress("127.0.0.1", 0),
                    spec.options().withAcceptProxyHeader(true),
                    spec.http()),
                target)
            .get();
  }

  @AfterEach
  void stop() throws Exception {
    forwarder.close();
    backend.close();
  }

  /**
   * As in TCP mode (PreambleTest): a preamble that throws resets the client, no request reaches the
   * endpoint, no exchange is reported, and the connection ends as ERROR. (Endpoints are connected
   * per request in this mode, so the first request is what dials.)
   */
  @Test
  void aPreambleThatThrowsResetsTheClientAndNoRequestReachesTheEndpoint() throws Exception {
    ConnectionPreamble broken =
        (alloc, c, e) -> {
          throw new IllegalStateException("no header for you");
        };
    Listener failing =
        forwarder
            .addListener(
                new ListenerSpec(
                    "default/web:preamble",
                    Protocol.TCP,
                    new InetSocketAddress("127.0.0.1", 0),
                    ListenerOptions.DEFAULTS.withPreamble(broken),
                    HttpOptions.of(HttpExchangeObserver.NOOP)),
                ServiceTarget.of(
                    Endpoint.ready(new InetSocketAddress("127.0.10.31", backend.port()))))
            .get();

    try (Socket s = new Socket()) {
      s.setSoTimeout(10_000);
      s.connect(failing.localAddress(), 5_000);
      s.getOutputStream().write(RawHttp.request("GET", "/never"));
      s.getOutputStream().flush();
      assertThatThrownBy(() -> s.getInputStream().read())
          .isInstanceOf(SocketException.class)
          .hasMessageContaining("reset");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> closed.size() == 1);
    assertThat(closed.get(0).outcome()).isEqualTo(Outcome.ERROR);
    assertThat(closed.get(0).connectAttempts()).isEqualTo(1);
    assertThat(backend.connections.get())
        .as("the endpoint was connected, then closed")
        .isEqualTo(1);
    assertThat(backend.requests).isEmpty();
    assertThat(completed).isEmpty();
  }

  @Test
  void keepAliveRequestsEachPassTheObserverOnOneEndpointConnection() throws Exception {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      for (int i = 1; i <= 3; i++) {
        out.write(RawHttp.request("GET", "/k" + i));
        out.flush();
        RawHttp.Message r = RawHttp.read(in);
        assertThat(r.firstLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(r.bodyText()).isEqualTo("path=/k" + i + ";h=" + i);
      }
    }
    assertThat(backend.connections.get()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> closed.size() == 1);
    assertThat(completed).containsExactly("/k1#1", "/k2#2", "/k3#3");
    assertThat(closed.get(0).outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(closed.get(0).bytesToClient()).isPositive();
  }

  @Test
  void pipelinedRequestsAllArriveAndAreAnsweredInOrder() throws Exception {
    int n = 20;
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
      for (int i = 0; i < n; i++) {
        all.write(RawHttp.request("GET", "/p" + i));
      }
      out.write(all.toByteArray()); // every request in one write: pipelined
      out.flush();
      InputStream in = s.getInputStream();
      List<String> bodies = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        bodies.add(RawHttp.read(in).bodyText());
      }
      for (int i = 0; i < n; i++) {
        assertThat(bodies.get(i)).startsWith("path=/p" + i + ";h=");
      }
    }
    assertThat(backend.requests)
        .extracting(m -> m.firstLine().split(" ")[1])
        .containsExactlyElementsOf(
            java.util.stream.IntStream.range(0, n).mapToObj(i -> "/p" + i).toList());
    assertThat(backend.requests).extracting(m -> m.headers().get("x-hop")).doesNotHaveDuplicates();
    await().atMost(Duration.ofSeconds(5)).until(() -> completed.size() == n);
    assertThat(completed).noneMatch(c -> c.endsWith("#failed"));
  }

  @Test
  void largeResponsesPassWholeAndAConnectionCloseEndsTheConnection() throws Exception {
    int size = 8 << 20;
    try (Socket s = connect()) {
      s.getOutputStream().write(RawHttp.request("GET", "/big/" + size));
      s.getOutputStream().write(RawHttp.request("GET", "/last", "Connection: close"));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      RawHttp.Message big = RawHttp.read(in);
      assertThat(big.body()).hasSize(size);
      assertThat(RawHttp.read(in).bodyText()).startsWith("path=/last");
      assertThat(in.read()).as("closed after Connection: close").isEqualTo(-1);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> closed.size() == 1);
    assertThat(closed.get(0).outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(closed.get(0).bytesToClient()).isGreaterThan(size);
  }

  /**
   * A request that arrives while the response before it is still on its way (read ahead, and kept
   * decoded) is sent to the endpoint after that response is complete, and answered after it.
   */
  @Test
  void aRequestSentWhileTheResponseBeforeItIsRelayedIsAnsweredAfterIt() throws Exception {
    int size = 8 << 20;
    try (Socket s = connect()) {
      s.setReceiveBufferSize(64 * 1024);
      OutputStream out = s.getOutputStream();
      out.write(RawHttp.request("GET", "/big/" + size));
      out.flush();
      java.io.PushbackInputStream in = new java.io.PushbackInputStream(s.getInputStream());
      int first = in.read(); // the first response has begun (and, read slowly, backs up)
      in.unread(first);
      out.write(RawHttp.request("GET", "/second"));
      out.flush();
      assertThat(RawHttp.read(in).body()).hasSize(size);
      assertThat(RawHttp.read(in).bodyText()).startsWith("path=/second;h=2");
    }
    assertThat(backend.requests)
        .extracting(m -> m.firstLine())
        .containsExactly("GET /big/" + size + " HTTP/1.1", "GET /second HTTP/1.1");
    await().atMost(Duration.ofSeconds(5)).until(() -> completed.size() == 2);
    assertThat(completed).containsExactly("/big/" + size + "#1", "/second#2");
  }

  /**
   * A client may end its side after the request (a FIN: HTTP/1.1 allows it) and then download. The
   * response must still pass whole when it outgrows the socket buffers, so that the proxy has to
   * wait for the half-closed client's socket to become writable again (Netty's epoll once dropped
   * such a socket from epoll, and the wait then cut the connection: EpollWorkaround).
   */
  @Test
  void aClientThatHalfClosesAfterItsRequestStillGetsALargeResponseWhole() throws Exception {
    int size = 16 << 20;
    try (Socket s = connect()) {
      s.setReceiveBufferSize(64 * 1024);
      s.getOutputStream().write(RawHttp.request("GET", "/big/" + size));
      s.getOutputStream().flush();
      s.shutdownOutput();
      InputStream in = s.getInputStream();
      // Read slowly at first, so the proxy's writes to the client back up.
      await()
          .pollDelay(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(5))
          .until(() -> backend.requests.size() == 1);
      RawHttp.Message big = RawHttp.read(in);
      assertThat(big.body()).hasSize(size);
      assertThat(in.read()).as("closed after the last answer to a client that ended").isEqualTo(-1);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> closed.size() == 1);
    assertThat(closed.get(0).outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(closed.get(0).bytesToClient()).isGreaterThan(size);
  }

  @Test
  void behindAProxyHeaderPipelinedRequestsArriveWithoutItAndTheObserverSeesTheNamedClient()
      throws Exception {
    try (Socket s = connect(proxied)) {
      java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
      all.write(dev.switchboard.forwarder.ProxyHeaderBytes.v2("127.0.77.7", 4242, "127.0.2.9", 80));
      for (int i = 0; i < 3; i++) {
        all.write(RawHttp.request("GET", "/x" + i));
      }
      s.getOutputStream().write(all.toByteArray()); // the header and every request in one write
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      for (int i = 0; i < 3; i++) {
        assertThat(RawHttp.read(in).bodyText()).startsWith("path=/x" + i + ";h=");
      }
    }
    assertThat(backend.requests)
        .extracting(m -> m.firstLine())
        .containsExactly("GET /x0 HTTP/1.1", "GET /x1 HTTP/1.1", "GET /x2 HTTP/1.1");
    assertThat(clients).containsOnly(new InetSocketAddress("127.0.77.7", 4242)).hasSize(3);
    await().atMost(Duration.ofSeconds(5)).until(() -> completed.size() == 3);
    assertThat(completed).noneMatch(c -> c.endsWith("#failed"));
  }

  @Test
  void anUpgradeTo101TurnsTheConnectionIntoATunnel() throws Exception {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write(RawHttp.request("GET", "/ws", "Upgrade: echo", "Connection: Upgrade"));
      out.flush();
      RawHttp.Message switched = RawHttp.read(in);
      assertThat(switched.firstLine()).isEqualTo("HTTP/1.1 101 Switching Protocols");
      assertThat(RawHttp.line(in)).isEqualTo("hello from the new protocol");
      // Bytes an HTTP parser would choke on, and some that look like HTTP: both pass untouched.
      byte[] raw = new byte[4096];
      new java.util.Random(7).nextBytes(raw);
      byte[] looksLikeHttp =
          "GET /not-a-request HTTP/1.1\r\n\r\n"
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      for (byte[] chunk : List.of(raw, looksLikeHttp)) {
        out.write(chunk);
        out.flush();
        assertThat(in.readNBytes(chunk.length)).isEqualTo(chunk);
      }
      s.shutdownOutput();
      assertThat(in.read()).as("the endpoint's end of stream follows ours").isEqualTo(-1);
    }
    assertThat(backend.requests).hasSize(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> closed.size() == 1);
    assertThat(completed).containsExactly("/ws#1");
    assertThat(closed.get(0).outcome()).isEqualTo(Outcome.COMPLETED);
  }

  private Socket connect() throws Exception {
    return connect(listener);
  }

  private Socket connect(Listener to) throws Exception {
    Socket s = new Socket();
    s.connect(to.localAddress(), 2000);
    s.setSoTimeout(10_000);
    return s;
  }
}
