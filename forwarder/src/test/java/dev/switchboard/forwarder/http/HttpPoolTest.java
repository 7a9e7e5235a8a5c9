package dev.switchboard.forwarder.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionObserver;
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
import dev.switchboard.forwarder.SessionAffinity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * HTTP/1.1 mode balances per request over pooled endpoint connections: spread per request on one
 * client connection, affinity, reuse across client connections, endpoints closing idle connections,
 * the replay rule, pipelining across endpoints, private connections behind a preamble, and removal.
 * Netty's leak detector runs at PARANOID; any leak it reports fails the test. Real sockets on
 * 127/8.
 */
@Timeout(60)
class HttpPoolTest {
  private final List<ConnectionSummary> closed = new CopyOnWriteArrayList<>();
  private final List<RawHttp.Backend> backends = new ArrayList<>();
  private final ListAppender<ILoggingEvent> leaks = new ListAppender<>();
  private ResourceLeakDetector.Level leakLevel;
  private Forwarder forwarder;

  @BeforeEach
  void start() throws Exception {
    leakLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    leaks.start();
    ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).addAppender(leaks);
    for (int i = 1; i <= 3; i++) {
      backends.add(new RawHttp.Backend("127.0.10.4" + i));
    }
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
  }

  @AfterEach
  void stop() throws Exception {
    forwarder.close();
    for (RawHttp.Backend b : backends) {
      b.close();
    }
    // Leaks are reported when buffers are tracked after the leaked ones were collected.
    for (int i = 0; i < 5; i++) {
      System.gc();
      for (int j = 0; j < 100; j++) {
        ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(16);
        b.release();
      }
      Thread.sleep(20);
    }
    ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).detachAppender(leaks);
    ResourceLeakDetector.setLevel(leakLevel);
    assertThat(leaks.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .noneMatch(m -> m.contains("LEAK"));
  }

  @Test
  void requestsOnOneClientConnectionSpreadEvenlyOverTheEndpoints() throws Exception {
    Listener l = listener(ListenerOptions.DEFAULTS, ServiceTarget.of(endpoints(3)));
    // 3,000 so that ±10 % is ~3.9 standard deviations of a uniform pick (300 with ±20 was 2.4:
    // one run in ~25 failed by chance alone; seen once).
    int n = 3_000;
    try (Socket s = connect(l)) {
      for (int i = 0; i < n; i++) {
        assertThat(get(s, "/r" + i).bodyText()).startsWith("path=/r" + i + ";");
      }
    }
    for (RawHttp.Backend b : backends) {
      assertThat(b.requests.size()).as("requests at one endpoint of three").isBetween(900, 1_100);
      assertThat(b.connections.get()).as("connections at one endpoint").isLessThanOrEqualTo(2);
    }
  }

  @Test
  void clientIpAffinityKeepsAClientOnOneEndpoint() throws Exception {
    Listener l =
        listener(
            ListenerOptions.DEFAULTS,
            ServiceTarget.of(endpoints(3)).withAffinity(SessionAffinity.clientIp()));
    for (int c = 0; c < 5; c++) {
      try (Socket s = connect(l)) {
        for (int i = 0; i < 20; i++) {
          get(s, "/a" + i);
        }
      }
    }
    assertThat(backends)
        .filteredOn(b -> !b.requests.isEmpty())
        .hasSize(1)
        .allSatisfy(b -> assertThat(b.requests).hasSize(100));
  }

  @Test
  void newClientConnectionsReuseEndpointConnections() throws Exception {
    Listener l = listener(ListenerOptions.DEFAULTS, ServiceTarget.of(endpoints(1)));
    for (int i = 0; i < 100; i++) {
      try (Socket s = connect(l)) {
        assertThat(get(s, "/n" + i).firstLine()).isEqualTo("HTTP/1.1 200 OK");
      }
    }
    assertThat(backends.get(0).requests).hasSize(100);
    // One pool per event loop (2 here); a few more when a client comes back before the last
    // response's release.
    assertThat(backends.get(0).connections.get()).isLessThanOrEqualTo(6);
    await().atMost(Duration.ofSeconds(5)).until(() -> closed.size() == 100);
    assertThat(closed)
        .allSatisfy(
            s -> {
              assertThat(s.outcome()).isEqualTo(Outcome.COMPLETED);
              assertThat(s.endpoint()).isPresent();
            });
  }

  @Test
  void aClientsConnectionCloseEndsItsOwnConnectionNotThePooledOne() throws Exception {
    // What a benchmark with a new connection per request sends (wrk -H "Connection: close").
    Listener l = listener(ListenerOptions.DEFAULTS, ServiceTarget.of(endpoints(1)));
    for (int i = 0; i < 20; i++) {
      try (Socket s = connect(l)) {
        s.getOutputStream().write(RawHttp.request("GET", "/c" + i, "Connection: close"));
        s.getOutputStream().flush();
        RawHttp.Message r = RawHttp.read(s.getInputStream());
        assertThat(r.bodyText()).startsWith("path=/c" + i + ";");
        assertThat(r.headers()).containsEntry("connection", "close");
        assertThat(s.getInputStream().read()).isEqualTo(-1);
      }
    }
    RawHttp.Backend b = backends.get(0);
    assertThat(b.requests)
        .hasSize(20)
        .allSatisfy(m -> assertThat(m.headers()).doesNotContainKey("connection"));
    assertThat(b.connections.get()).isLessThanOrEqualTo(4);
  }

  @Test
  void anEndpointsConnectionCloseEndsItsOwnConnectionNotTheClients() throws Exception {
    RawHttp.Backend b = backends.get(0);
    Listener l = listener(ListenerOptions.DEFAULTS, ServiceTarget.of(endpoints(1)));
    try (Socket s = connect(l)) {
      RawHttp.Message r = get(s, "/close-after-this");
      assertThat(r.bodyText()).startsWith("path=/close-after-this;");
      assertThat(r.headers()).doesNotContainKey("connection");
      assertThat(get(s, "/next").bodyText()).startsWith("path=/next;");
    }
    assertThat(b.connections.get()).isEqualTo(2);
    await().atMost(Duration.ofSeconds(5)).until(() -> closed.size() == 1);
    assertThat(closed.get(0).outcome()).isEqualTo(Outcome.COMPLETED);
  }

  @Test
  void anEndpointClosingAnIdlePooledConnectionDoesNotFailTheNextRequest() throws Exception {
    RawHttp.Backend b = backends.get(0);
    b.keepAliveMillis = 200;
    Listener l = listener(ListenerOptions.DEFAULTS, ServiceTarget.of(endpoints(1)));
    for (int i = 0; i < 3; i++) {
      int before = b.closedConnections.get();
      try (Socket s = connect(l)) {
        assertThat(get(s, "/i" + i).firstLine()).isEqualTo("HTTP/1.1 200 OK");
      }
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> b.closedConnections.get() > before); // closed while idle
    }
    assertThat(b.requests).hasSize(3);
    assertThat(b.connections.get()).isEqualTo(3);
  }

  @Test
  void aDeadReusedConnectionIsRetriedOnlyForIdempotentRequests() throws Exception {
    RawHttp.Backend b = backends.get(0);
    b.dropSecondRequest = true;
    Listener l = listener(ListenerOptions.DEFAULTS, ServiceTarget.of(endpoints(1)));
    try (Socket s = connect(l)) {
      assertThat(get(s, "/first").firstLine()).isEqualTo("HTTP/1.1 200 OK");
      // Reuses the connection, which dies without answering: sent again on a fresh one.
      assertThat(get(s, "/again").bodyText()).startsWith("path=/again;");
      assertThat(b.requests)
          .extracting(RawHttp.Message::firstLine)
          .containsExactly("GET /first HTTP/1.1", "GET /again HTTP/1.1", "GET /again HTTP/1.1");

      // The fresh connection from the retry is pooled (this client's loop) and answered one
      // request:
      // this POST is its second, so it dies unanswered, and a POST is not sent again.
      OutputStream out = s.getOutputStream();
      out.write(
          "POST /pay HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      RawHttp.Message r = RawHttp.read(s.getInputStream());
      assertThat(r.firstLine()).isEqualTo("HTTP/1.1 502 Bad Gateway");
      assertThat(r.headers()).containsEntry("connection", "close");
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    assertThat(b.requests)
        .extracting(RawHttp.Message::firstLine)
        .filteredOn(f -> f.startsWith("POST"))
        .as("not replayed")
        .hasSize(1);
  }

  @Test
  void pipelinedRequestsOverSeveralEndpointsAreAnsweredInOrder() throws Exception {
    Listener l = listener(ListenerOptions.DEFAULTS, ServiceTarget.of(endpoints(3)));
    int n = 30;
    try (Socket s = connect(l)) {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (int i = 0; i < n; i++) {
        all.write(RawHttp.request("GET", i % 5 == 0 ? "/big/70000" : "/p" + i));
      }
      s.getOutputStream().write(all.toByteArray());
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      for (int i = 0; i < n; i++) {
        RawHttp.Message r = RawHttp.read(in);
        if (i % 5 == 0) {
          assertThat(r.body()).hasSize(70000);
        } else {
          assertThat(r.bodyText()).startsWith("path=/p" + i + ";");
        }
      }
    }
    assertThat(backends).allSatisfy(b -> assertThat(b.requests).isNotEmpty());
  }

  @Test
  void behindAPreambleEndpointConnectionsStayPrivateToTheirClient() throws Exception {
    // A preamble naming the client (here an empty line, which HTTP servers skip before a request).
    ListenerOptions options =
        ListenerOptions.DEFAULTS.withPreamble(
            (alloc, c, e) ->
                alloc.buffer(2).writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII)));
    Listener l = listener(options, ServiceTarget.of(endpoints(1)));
    for (int c = 0; c < 3; c++) {
      try (Socket s = connect(l)) {
        for (int i = 0; i < 3; i++) {
          assertThat(get(s, "/c" + c + "/" + i).firstLine()).isEqualTo("HTTP/1.1 200 OK");
        }
      }
    }
    assertThat(backends.get(0).connections.get())
        .as("one per client, reused by its own requests")
        .isEqualTo(3);
    await().atMost(Duration.ofSeconds(5)).until(() -> backends.get(0).closedConnections.get() == 3);
  }

  @Test
  void idleConnectionsOfARemovedEndpointAreClosed() throws Exception {
    List<Endpoint> three = endpoints(3);
    Listener l = listener(ListenerOptions.DEFAULTS, ServiceTarget.of(three));
    try (Socket s = connect(l)) {
      for (int i = 0; i < 30; i++) {
        get(s, "/x" + i);
      }
    }
    RawHttp.Backend gone = backends.get(0);
    assertThat(gone.connections.get()).isPositive();
    assertThat(gone.closedConnections.get()).isZero();
    l.update(ServiceTarget.of(three.subList(1, 3))).get();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> gone.closedConnections.get() == gone.connections.get());
    assertThat(backends.get(1).closedConnections.get()).as("the others stay pooled").isZero();
    l.close().get();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                backends.stream().allMatch(b -> b.closedConnections.get() == b.connections.get()));
  }

  @Test
  void aClientConnectionIsClosedAfterTheIdleTimeoutAndNotWhileInUse() throws Exception {
    Listener l =
        listener(
            ListenerOptions.DEFAULTS.withIdleTimeout(Duration.ofSeconds(1)),
            ServiceTarget.of(endpoints(1)));
    try (Socket s = connect(l)) {
      s.setSoTimeout(10_000);
      // A request every 100 ms for 1.5 s: longer than the timeout in all, never idle for it.
      for (int i = 0; i < 15; i++) {
        assertThat(get(s, "/k" + i).firstLine()).isEqualTo("HTTP/1.1 200 OK");
        Thread.sleep(100); // the client's pace is what is under test
      }
      long start = System.nanoTime();
      assertThat(s.getInputStream().read()).isEqualTo(-1); // blocks until the forwarder closes
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isBetween(Duration.ofMillis(800), Duration.ofSeconds(8));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> closed.size() == 1);
    assertThat(closed.get(0).outcome()).isEqualTo(Outcome.IDLE_TIMEOUT);
  }

  @Test
  void idleTimeoutAndPoolSizeAreConfigurable() throws Exception {
    RawHttp.Backend b = backends.get(0);
    Listener expiring =
        listener(
            ListenerOptions.DEFAULTS,
            ServiceTarget.of(endpoints(1)),
            HttpOptions.of(HttpExchangeObserver.NOOP).withPool(16, Duration.ofMillis(300)));
    try (Socket s = connect(expiring)) {
      assertThat(get(s, "/e").firstLine()).isEqualTo("HTTP/1.1 200 OK");
      // The client stays connected; the pooled endpoint connection is closed after 300 ms idle.
      await().atMost(Duration.ofSeconds(5)).until(() -> b.closedConnections.get() == 1);
      assertThat(get(s, "/f").firstLine()).isEqualTo("HTTP/1.1 200 OK");
    }
    assertThat(b.connections.get()).isEqualTo(2);

    Listener unpooled =
        listener(
            ListenerOptions.DEFAULTS,
            ServiceTarget.of(endpoints(1)),
            HttpOptions.of(HttpExchangeObserver.NOOP).withPool(0, Duration.ofSeconds(60)));
    try (Socket s = connect(unpooled)) {
      for (int i = 0; i < 5; i++) {
        assertThat(get(s, "/u" + i).firstLine()).isEqualTo("HTTP/1.1 200 OK");
      }
    }
    assertThat(b.connections.get()).as("a new endpoint connection per request").isEqualTo(7);
    await().atMost(Duration.ofSeconds(5)).until(() -> b.closedConnections.get() == 7);
  }

  @Test
  void noEndpointOnALaterRequestIsA503() throws Exception {
    Listener l = listener(ListenerOptions.DEFAULTS, ServiceTarget.of(endpoints(1)));
    try (Socket s = connect(l)) {
      assertThat(get(s, "/one").firstLine()).isEqualTo("HTTP/1.1 200 OK");
      l.update(ServiceTarget.of(List.of())).get();
      assertThat(get(s, "/two").firstLine()).isEqualTo("HTTP/1.1 503 Service Unavailable");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> closed.size() == 1);
    assertThat(closed.get(0).outcome()).isEqualTo(Outcome.NO_ENDPOINT);
  }

  private List<Endpoint> endpoints(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(
          Endpoint.ready(new InetSocketAddress("127.0.10.4" + (i + 1), backends.get(i).port())));
    }
    return list;
  }

  private Listener listener(ListenerOptions options, ServiceTarget target) throws Exception {
    return listener(options, target, HttpOptions.of(HttpExchangeObserver.NOOP));
  }

  private Listener listener(ListenerOptions options, ServiceTarget target, HttpOptions http)
      throws Exception {
    return forwarder
        .addListener(
            new ListenerSpec(
                "default/web:http",
                Protocol.TCP,
                new InetSocketAddress("127.0.0.1", 0),
                options,
                http),
            target)
        .get();
  }

  private static Socket connect(Listener to) throws Exception {
    Socket s = new Socket();
    s.connect(to.localAddress(), 2000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static RawHttp.Message get(Socket s, String path) throws Exception {
    s.getOutputStream().write(RawHttp.request("GET", path));
    s.getOutputStream().flush();
    return RawHttp.read(s.getInputStream());
  }
}
