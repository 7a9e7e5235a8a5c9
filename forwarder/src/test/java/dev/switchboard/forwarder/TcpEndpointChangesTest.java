package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.ConnectException;
import java.net.Socket;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Endpoint set updates and listener removal while connections are open. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpEndpointChangesTest extends ForwarderTestSupport {

  private static ListenerOptions options(boolean splice) {
    return ListenerOptions.DEFAULTS.withSplice(splice);
  }

  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void terminatingEndpointDrains(boolean splice) throws Exception {
    TcpBackend a = backend(41, TcpBackend.NAME_THEN_ECHO);
    TcpBackend b = backend(42, TcpBackend.NAME_THEN_ECHO);
    Listener l = tcpListener(41, ServiceTarget.of(a.endpoint(), b.endpoint()), options(splice));

    try (Socket open = connect(l.localAddress())) {
      String first = TcpBackend.readLine(open);
      TcpBackend draining = first.equals("b41") ? a : b;
      TcpBackend other = draining == a ? b : a;
      l.update(ServiceTarget.of(draining.endpoint().asTerminating(), other.endpoint()))
          .get(5, TimeUnit.SECONDS);

      for (int i = 0; i < 30; i++) {
        assertThat(whoAnswers(l.localAddress())).isEqualTo(other.name);
      }
      // The connection to the terminating endpoint carries on and ends normally.
      assertEchoes(open, "still here");
      open.shutdownOutput();
      assertThat(open.getInputStream().read()).isEqualTo(-1);
    }

    // Every endpoint terminating but serving: they are used rather than failing the service.
    l.update(ServiceTarget.of(a.endpoint().asTerminating(), b.endpoint().asTerminating()))
        .get(5, TimeUnit.SECONDS);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      seen.add(whoAnswers(l.localAddress()));
    }
    assertThat(seen).isSubsetOf("b41", "b42").isNotEmpty();

    // Terminating and no longer serving: nothing is usable; connections are closed at once.
    l.update(ServiceTarget.of(a.endpoint().withConditions(false, false, true)))
        .get(5, TimeUnit.SECONDS);
    assertThat(TcpForwardingTest.closedAtOnce(l.localAddress())).isTrue();
    assertThat(l.stats().noEndpoint()).isEqualTo(1);
  }

  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void updateKeepsOpenConnections(boolean splice) throws Exception {
    TcpBackend a = backend(43, TcpBackend.NAME_THEN_ECHO);
    TcpBackend b = backend(44, TcpBackend.NAME_THEN_ECHO);
    Listener l = tcpListener(43, ServiceTarget.of(a.endpoint()), options(splice));

    try (Socket open = connect(l.localAddress())) {
      assertThat(TcpBackend.readLine(open)).isEqualTo("b43");
      l.update(ServiceTarget.of(b.endpoint())).get(5, TimeUnit.SECONDS); // a is gone from the set
      assertThat(whoAnswers(l.localAddress())).isEqualTo("b44");
      assertEchoes(open, "the old connection still works");
      assertThat(l.target().endpoints()).containsExactly(b.endpoint());
      open.shutdownOutput();
      assertThat(open.getInputStream().read()).isEqualTo(-1);
    }
    await().atMost(seconds(5)).until(() -> observer.closed.size() == 2);
    assertThat(observer.closed)
        .extracting(ConnectionSummary::outcome)
        .containsOnly(Outcome.COMPLETED);
  }

  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void removedListenerRefusesNewConnectionsAndLetsOpenOnesFinish(boolean splice) throws Exception {
    TcpBackend a = backend(45, TcpBackend.NAME_THEN_ECHO);
    Listener l = tcpListener(45, ServiceTarget.of(a.endpoint()), options(splice));

    try (Socket open = connect(l.localAddress())) {
      assertThat(TcpBackend.readLine(open)).isEqualTo("b45");
      l.close().get(5, TimeUnit.SECONDS);
      assertThatThrownBy(() -> connect(l.localAddress()).close())
          .isInstanceOf(ConnectException.class);
      assertThat(forwarder.listeners()).doesNotContain(l);
      assertThat(l.terminated()).isNotDone();
      assertEchoes(open, "finishing after removal");
      open.shutdownOutput();
      assertThat(open.getInputStream().read()).isEqualTo(-1);
    }
    l.terminated().get(5, TimeUnit.SECONDS);
    assertThat(l.stats().activeConnections()).isZero();
    assertThat(observer.closed)
        .extracting(ConnectionSummary::outcome)
        .isEqualTo(List.of(Outcome.COMPLETED));
  }
}
