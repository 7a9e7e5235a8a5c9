package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Listener-level behaviour: binding errors, SO_REUSEPORT, limits, no endpoints, idle timeout. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpListenerTest extends ForwarderTestSupport {

  @Test
  void portTakenFailsThatListenerOnlyWithAClearReason() throws Exception {
    TcpBackend a = backend(51, TcpBackend.NAME_THEN_ECHO);
    try (ServerSocket squatter = new ServerSocket();
        DatagramSocket udpSquatter = new DatagramSocket(null)) {
      squatter.bind(new InetSocketAddress("127.0.1.51", 0));
      InetSocketAddress taken = (InetSocketAddress) squatter.getLocalSocketAddress();
      udpSquatter.bind(new InetSocketAddress("127.0.1.51", 0));
      InetSocketAddress takenUdp = (InetSocketAddress) udpSquatter.getLocalSocketAddress();

      Listener ok = tcpListener(52, ServiceTarget.of(a.endpoint()), ListenerOptions.DEFAULTS);
      var failed =
          forwarder.addListener(
              ListenerSpec.tcp("default/web:http", taken), ServiceTarget.of(a.endpoint()));
      assertThatThrownBy(() -> failed.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(ListenerBindException.class)
          .hasMessageContaining("TCP 127.0.1.51:" + taken.getPort())
          .hasMessageContaining("default/web:http")
          .hasMessageContaining("Address already in use");
      var failedUdp =
          forwarder.addListener(ListenerSpec.udp("default/dns:dns", takenUdp), ServiceTarget.EMPTY);
      assertThatThrownBy(() -> failedUdp.get(5, TimeUnit.SECONDS))
          .cause()
          .isInstanceOf(ListenerBindException.class)
          .hasMessageContaining("UDP 127.0.1.51:" + takenUdp.getPort());

      assertThat(whoAnswers(ok.localAddress())).isEqualTo("b51");
      assertThat(forwarder.listeners()).containsExactly(ok);
    }
  }

  @Test
  void reusePortLetsTwoListenersShareAnAddress() throws Exception {
    TcpBackend a = backend(53, TcpBackend.NAME_THEN_ECHO);
    ListenerOptions reuse = ListenerOptions.DEFAULTS.withReusePort(true);
    Listener first = tcpListener(53, ServiceTarget.of(a.endpoint()), reuse);
    try (Forwarder otherAgent = Forwarder.create(ForwarderOptions.defaults().withIoThreads(1))) {
      Listener second =
          otherAgent
              .addListener(
                  new ListenerSpec("other", Protocol.TCP, first.localAddress(), reuse),
                  ServiceTarget.of(a.endpoint()))
              .get(5, TimeUnit.SECONDS);
      assertThat(second.localAddress()).isEqualTo(first.localAddress());
      for (int i = 0; i < 20; i++) {
        assertThat(whoAnswers(first.localAddress())).isEqualTo("b53");
      }
      assertThat(first.stats().totalConnections() + second.stats().totalConnections())
          .isEqualTo(20);
    }
    // Without the option the address is taken.
    assertThatThrownBy(
            () ->
                forwarder
                    .addListener(ListenerSpec.tcp("x", first.localAddress()), ServiceTarget.EMPTY)
                    .get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ListenerBindException.class);
  }

  @Test
  void connectionsOverTheLimitAreClosedAtOnce() throws Exception {
    TcpBackend a = backend(54, TcpBackend.NAME_THEN_ECHO);
    Listener l =
        tcpListener(
            54, ServiceTarget.of(a.endpoint()), ListenerOptions.DEFAULTS.withMaxConnections(2));
    try (Socket c1 = connect(l.localAddress());
        Socket c2 = connect(l.localAddress())) {
      assertThat(TcpBackend.readLine(c1)).isEqualTo("b54");
      assertThat(TcpBackend.readLine(c2)).isEqualTo("b54");
      assertThat(TcpForwardingTest.closedAtOnce(l.localAddress())).isTrue();
      assertThat(l.stats().rejectedOverLimit()).isEqualTo(1);
      assertEchoes(c1, "the first two are unaffected");
    }
    await().atMost(seconds(5)).until(() -> l.stats().activeConnections() == 0);
    assertThat(whoAnswers(l.localAddress())).isEqualTo("b54");
  }

  @Test
  void noEndpointsClosesConnectionsAtOnce() throws Exception {
    Listener l = tcpListener(55, ServiceTarget.EMPTY, ListenerOptions.DEFAULTS);
    assertThat(TcpForwardingTest.closedAtOnce(l.localAddress())).isTrue();
    assertThat(l.stats().noEndpoint()).isEqualTo(1);
    assertThat(l.stats().activeConnections()).isZero();
    await().atMost(seconds(5)).until(() -> observer.closed.size() == 1);
    assertThat(observer.closed)
        .singleElement()
        .extracting(ConnectionSummary::outcome)
        .isEqualTo(Outcome.NO_ENDPOINT);
  }

  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void idleConnectionsAreClosed(boolean splice) throws Exception {
    TcpBackend a = backend(56, TcpBackend.NAME_THEN_ECHO);
    Listener l =
        tcpListener(
            56,
            ServiceTarget.of(a.endpoint()),
            ListenerOptions.DEFAULTS.withSplice(splice).withIdleTimeout(Duration.ofMillis(400)));
    try (Socket s = connect(l.localAddress())) {
      assertThat(TcpBackend.readLine(s)).isEqualTo("b56");
      assertEchoes(s, "active");
      long start = System.nanoTime();
      assertThat(TcpForwardingTest.readOrReset(s)).isEqualTo(-1); // blocks until the proxy closes
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isBetween(Duration.ofMillis(300), Duration.ofSeconds(5));
    }
    await().atMost(seconds(5)).until(() -> observer.closed.size() == 1);
    assertThat(observer.closed.get(0).outcome()).isEqualTo(Outcome.IDLE_TIMEOUT);
  }

  @Test
  void closingTheForwarderCutsOpenConnections() throws Exception {
    TcpBackend a = backend(57, TcpBackend.NAME_THEN_ECHO);
    Listener l = tcpListener(57, ServiceTarget.of(a.endpoint()), ListenerOptions.DEFAULTS);
    try (Socket s = connect(l.localAddress())) {
      assertThat(TcpBackend.readLine(s)).isEqualTo("b57");
      forwarder.close();
      assertThat(TcpForwardingTest.readOrReset(s)).isEqualTo(-1);
    }
    assertThat(l.terminated()).succeedsWithin(java.time.Duration.ofSeconds(5));
    assertThat(observer.closed)
        .singleElement()
        .extracting(ConnectionSummary::outcome)
        .isEqualTo(Outcome.CLOSED);
    assertThatThrownBy(
            () ->
                forwarder
                    .addListener(
                        ListenerSpec.tcp("late", new InetSocketAddress("127.0.1.57", 0)),
                        ServiceTarget.EMPTY)
                    .get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(IllegalStateException.class);
  }
}
