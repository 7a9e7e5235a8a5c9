package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpForwardingTest extends ForwarderTestSupport {

  private static ListenerOptions options(boolean splice) {
    return ListenerOptions.DEFAULTS.withSplice(splice).withConnectTimeout(Duration.ofSeconds(2));
  }

  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void roundTrip(boolean splice) throws Exception {
    TcpBackend b = backend(1, TcpBackend.NAME_THEN_ECHO);
    Listener l = tcpListener(1, ServiceTarget.of(b.endpoint()), options(splice));

    try (Socket s = connect(l.localAddress())) {
      assertThat(TcpBackend.readLine(s)).isEqualTo("b1");
      assertEchoes(s, "hello through the proxy");
      assertEchoes(s, "x".repeat(100_000));
      s.shutdownOutput();
      assertThat(s.getInputStream().read()).isEqualTo(-1); // the backend's FIN came through
    }
    await().atMost(seconds(5)).until(() -> l.stats().activeConnections() == 0);
    ListenerStats st = l.stats();
    assertThat(st.totalConnections()).isEqualTo(1);
    assertThat(st.bytesIn()).isEqualTo(23 + 100_000);
    assertThat(st.bytesOut()).isEqualTo(3 + 23 + 100_000);
    assertThat(observer.closed)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.outcome()).isEqualTo(Outcome.COMPLETED);
              assertThat(c.endpoint()).contains(b.endpoint());
              assertThat(c.bytesFromClient()).isEqualTo(23 + 100_000);
            });
  }

  /**
   * The client half-closes first; the backend answers only after reading EOF; the client reads it
   * all.
   */
  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void halfCloseFromClient(boolean splice) throws Exception {
    TcpBackend b =
        backend(
            2,
            (s, self) -> {
              byte[] request = s.getInputStream().readAllBytes(); // to EOF
              s.getOutputStream()
                  .write(
                      ("got "
                              + request.length
                              + " bytes: "
                              + new String(request, StandardCharsets.UTF_8))
                          .getBytes(StandardCharsets.UTF_8));
              s.getOutputStream().write(new byte[300_000]);
              s.shutdownOutput();
            });
    Listener l = tcpListener(2, ServiceTarget.of(b.endpoint()), options(splice));

    try (Socket s = connect(l.localAddress())) {
      s.getOutputStream().write("question".getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      InputStream in = s.getInputStream();
      byte[] head = in.readNBytes("got 8 bytes: question".length());
      assertThat(new String(head, StandardCharsets.UTF_8)).isEqualTo("got 8 bytes: question");
      assertThat(in.readAllBytes()).hasSize(300_000);
    }
    await().atMost(seconds(5)).until(() -> observer.closed.size() == 1);
    assertThat(observer.closed.get(0).outcome()).isEqualTo(Outcome.COMPLETED);
  }

  /**
   * The backend half-closes first (the usual HTTP "Connection: close" order); the client, having
   * read everything and the FIN, still sends, then closes. The backend gets those bytes and the
   * FIN.
   */
  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void halfCloseFromBackend(boolean splice) throws Exception {
    CompletableFuture<String> received = new CompletableFuture<>();
    TcpBackend b =
        backend(
            8,
            (s, self) -> {
              s.getOutputStream().write("bye\n".getBytes(StandardCharsets.UTF_8));
              s.shutdownOutput();
              received.complete(
                  new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)); // to EOF
            });
    Listener l = tcpListener(8, ServiceTarget.of(b.endpoint()), options(splice));

    try (Socket s = connect(l.localAddress())) {
      assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("bye\n");
      s.getOutputStream().write("after your FIN".getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      assertThat(received.get(5, TimeUnit.SECONDS)).isEqualTo("after your FIN");
    }
    await().atMost(seconds(5)).until(() -> observer.closed.size() == 1);
    assertThat(observer.closed.get(0).outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(observer.closed.get(0).bytesFromClient()).isEqualTo("after your FIN".length());
  }

  /**
   * 3,000 connections over 3 backends. Each backend's count is Binomial(3000, 1/3): mean 1000,
   * standard deviation sqrt(3000 * 1/3 * 2/3) = 25.8. The bound +-20% (+-200) is 7.7 standard
   * deviations, so a correct picker fails it with probability about 3 * 1.4e-14: never in practice.
   */
  @Test
  void spreadsUniformlyOverBackends() throws Exception {
    List<TcpBackend> backends =
        List.of(
            backend(11, TcpBackend.NAME_THEN_ECHO),
            backend(12, TcpBackend.NAME_THEN_ECHO),
            backend(13, TcpBackend.NAME_THEN_ECHO));
    Listener l =
        tcpListener(
            11,
            ServiceTarget.of(backends.stream().map(TcpBackend::endpoint).toList()),
            options(true));

    int connections = 3000;
    Map<String, Integer> counts = new ConcurrentHashMap<>();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        done.add(
            clients.submit(
                () -> {
                  for (int i = 0; i < connections / 4; i++) {
                    counts.merge(whoAnswers(l.localAddress()), 1, Integer::sum);
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(25, TimeUnit.SECONDS);
      }
    } finally {
      clients.shutdownNow();
    }
    System.out.println("connections per backend: " + counts);
    assertThat(counts).containsOnlyKeys("b11", "b12", "b13");
    assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(800, 1200));
    assertThat(l.stats().totalConnections()).isEqualTo(connections);
  }

  /** One endpoint refuses (a closed port): every client still gets through, by retries. */
  @Test
  void refusedEndpointIsRetriedElsewhere() throws Exception {
    TcpBackend a = backend(21, TcpBackend.NAME_THEN_ECHO);
    TcpBackend b = backend(22, TcpBackend.NAME_THEN_ECHO);
    Endpoint dead = closedPort("127.0.10.23");
    Listener l =
        tcpListener(21, ServiceTarget.of(a.endpoint(), b.endpoint(), dead), options(false));

    for (int i = 0; i < 60; i++) {
      assertThat(whoAnswers(l.localAddress())).isIn("b21", "b22");
    }
    // P(no connection picks the dead endpoint first) = (2/3)^60 ~ 3e-11.
    ListenerStats st = l.stats();
    assertThat(st.connectRetries()).isPositive();
    assertThat(st.connectFailures()).isEqualTo(st.connectRetries());
    await().atMost(seconds(5)).until(() -> observer.closed.size() == 60);
    assertThat(observer.closed)
        .allSatisfy(c -> assertThat(c.outcome()).isEqualTo(Outcome.COMPLETED));
  }

  /**
   * One endpoint never completes the handshake (its accept queue is full, so Linux drops the SYNs):
   * connects to it time out and go elsewhere. 24 parallel clients; P(none picks it first) = 2^-24.
   */
  @Test
  void timedOutEndpointIsRetriedElsewhere() throws Exception {
    TcpBackend good = backend(28, TcpBackend.NAME_THEN_ECHO);
    try (ServerSocket stuck = new ServerSocket()) {
      stuck.bind(new InetSocketAddress("127.0.10.29", 0), 1); // never accepts
      List<SocketChannel> fillers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        SocketChannel c = closeLater(SocketChannel.open());
        c.configureBlocking(false);
        c.connect(stuck.getLocalSocketAddress());
        fillers.add(c);
      }
      try (Socket probe = new Socket()) {
        probe.connect(stuck.getLocalSocketAddress(), 200);
        Assumptions.abort("the kernel did not drop SYNs to a full accept queue");
      } catch (SocketTimeoutException expected) {
        // the endpoint is stuck, as wanted
      }
      Endpoint stuckEndpoint = Endpoint.ready((InetSocketAddress) stuck.getLocalSocketAddress());
      Listener l =
          tcpListener(
              28,
              ServiceTarget.of(good.endpoint(), stuckEndpoint),
              ListenerOptions.DEFAULTS.withConnectTimeout(Duration.ofMillis(200)));

      ExecutorService clients = Executors.newFixedThreadPool(8);
      try {
        List<Future<String>> answers = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
          answers.add(clients.submit(() -> whoAnswers(l.localAddress())));
        }
        for (Future<String> a : answers) {
          assertThat(a.get(10, TimeUnit.SECONDS)).isEqualTo("b28");
        }
      } finally {
        clients.shutdownNow();
      }
      assertThat(l.stats().connectFailures()).isPositive().isEqualTo(l.stats().connectRetries());
      assertThat(fillers).hasSize(4);
    }
  }

  /**
   * Copy mode reads the client's first bytes while the endpoint connects. Clients that send a line
   * and their FIN at once, while the connect goes to an endpoint that never answers: after the
   * timeout and the retry, the good endpoint gets each line exactly once, then the FIN. 16 clients;
   * P(none picks the stuck endpoint first) = 2^-16.
   */
  @Test
  void bytesSentDuringARetriedConnectArriveOnce() throws Exception {
    TcpBackend good = backend(35, TcpBackend.ECHO);
    try (ServerSocket stuck = new ServerSocket()) {
      stuck.bind(new InetSocketAddress("127.0.10.36", 0), 1); // never accepts
      for (int i = 0; i < 4; i++) {
        SocketChannel c = closeLater(SocketChannel.open());
        c.configureBlocking(false);
        c.connect(stuck.getLocalSocketAddress());
      }
      try (Socket probe = new Socket()) {
        probe.connect(stuck.getLocalSocketAddress(), 200);
        Assumptions.abort("the kernel did not drop SYNs to a full accept queue");
      } catch (SocketTimeoutException expected) {
        // the endpoint is stuck, as wanted
      }
      Endpoint stuckEndpoint = Endpoint.ready((InetSocketAddress) stuck.getLocalSocketAddress());
      Listener l =
          tcpListener(
              35,
              ServiceTarget.of(good.endpoint(), stuckEndpoint),
              ListenerOptions.DEFAULTS.withConnectTimeout(Duration.ofMillis(200)));
      ExecutorService clients = Executors.newFixedThreadPool(8);
      try {
        List<Future<String>> answers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          String line = "line-" + i + "\n";
          answers.add(
              clients.submit(
                  () -> {
                    try (Socket s = connect(l.localAddress())) {
                      s.getOutputStream().write(line.getBytes(StandardCharsets.UTF_8));
                      s.shutdownOutput();
                      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    }
                  }));
        }
        for (int i = 0; i < 16; i++) {
          assertThat(answers.get(i).get(10, TimeUnit.SECONDS)).isEqualTo("line-" + i + "\n");
        }
      } finally {
        clients.shutdownNow();
      }
      assertThat(l.stats().connectRetries()).isPositive();
      assertThat(good.accepted.get()).isEqualTo(16);
    }
  }

  /** Every endpoint refuses: the client is closed after maxConnectAttempts distinct endpoints. */
  @Test
  void allEndpointsRefusingClosesTheClient() throws Exception {
    Listener l =
        tcpListener(
            24,
            ServiceTarget.of(
                closedPort("127.0.10.24"),
                closedPort("127.0.10.25"),
                closedPort("127.0.10.26"),
                closedPort("127.0.10.27")),
            options(false));
    assertThat(closedAtOnce(l.localAddress())).isTrue();
    await().atMost(seconds(5)).until(() -> observer.closed.size() == 1);
    assertThat(observer.closed.get(0).outcome()).isEqualTo(Outcome.CONNECT_FAILED);
    assertThat(observer.closed.get(0).connectAttempts()).isEqualTo(3);
    assertThat(l.stats().connectFailures()).isEqualTo(3);
    assertThat(l.stats().connectRetries()).isEqualTo(2);
  }

  /** ClientIP affinity: each client address (127.0.20.x) sticks to one backend. */
  @Test
  void clientIpAffinityPins() throws Exception {
    List<TcpBackend> backends =
        List.of(
            backend(31, TcpBackend.NAME_THEN_ECHO),
            backend(32, TcpBackend.NAME_THEN_ECHO),
            backend(33, TcpBackend.NAME_THEN_ECHO));
    ServiceTarget target =
        ServiceTarget.of(backends.stream().map(TcpBackend::endpoint).toList())
            .withAffinity(SessionAffinity.clientIp(Duration.ofMinutes(5)));
    Listener l = tcpListener(31, target, options(true));

    Set<String> used = new HashSet<>();
    for (int c = 1; c <= 20; c++) {
      Set<String> answers = new HashSet<>();
      for (int i = 0; i < 10; i++) {
        try (Socket s = connectFrom("127.0.20." + c, l.localAddress())) {
          answers.add(TcpBackend.readLine(s));
        }
      }
      // Without affinity, 10 connections land on one backend with probability 3 * (1/3)^10 ~ 5e-5.
      assertThat(answers).as("backends seen by client 127.0.20.%d", c).hasSize(1);
      used.addAll(answers);
    }
    // Different clients are pinned independently: all 20 on one backend has probability 3 *
    // (1/3)^20 ~ 1e-9.
    assertThat(used).hasSizeGreaterThan(1);
  }

  static Endpoint closedPort(String ip) throws IOException {
    try (ServerSocket ss = new ServerSocket()) {
      ss.bind(new InetSocketAddress(ip, 0));
      return Endpoint.ready((InetSocketAddress) ss.getLocalSocketAddress());
    } // closed now: connects are refused
  }

  /**
   * Connects and reads one byte: true when the proxy closed the connection at once (EOF or reset;
   * the reset can even beat the end of the client's connect call).
   */
  static boolean closedAtOnce(InetSocketAddress to) throws IOException {
    try (Socket s = connect(to)) {
      return readOrReset(s) == -1;
    } catch (SocketException e) {
      return e.getMessage() != null && e.getMessage().contains("reset");
    }
  }

  /** -1 for EOF or a reset: both mean "closed by the proxy". */
  static int readOrReset(Socket s) throws IOException {
    try {
      return s.getInputStream().read();
    } catch (SocketException e) {
      return -1;
    }
  }
}
