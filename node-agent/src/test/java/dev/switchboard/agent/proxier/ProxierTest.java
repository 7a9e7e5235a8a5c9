package dev.switchboard.agent.proxier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.discovery.client.IpLiterals;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Forwarder;
import dev.switchboard.forwarder.ForwarderOptions;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerOptions;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.ServiceTarget;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The listener diff against the real forwarder, on 127.0.3.x. */
@Timeout(30)
class ProxierTest {
  private static final ServiceName A = new ServiceName("default", "a");
  private static final ServiceName B = new ServiceName("default", "b");
  private static final InetAddress NODE = IpLiterals.parse("127.0.3.1").orElseThrow();

  private final Forwarder forwarder =
      Forwarder.create(ForwarderOptions.defaults().withIoThreads(1));
  private final Proxier proxier =
      new Proxier(forwarder::addListener, ListenerOptions.DEFAULTS, Duration.ofSeconds(5));

  @AfterEach
  void close() {
    proxier.close();
    forwarder.close();
  }

  @Test
  void addsUpdatesAndRemovesOnlyWhatChanged() throws IOException {
    int pa = freePort();
    int pb = freePort();
    ListenerPlan a = plan(A, pa, "127.0.10.1");
    ListenerPlan b = plan(B, pb, "127.0.10.2");
    assertThat(proxier.sync(changes(A, servicePlan(a), B, servicePlan(b)))).isEmpty();
    Map<ListenerKey, Listener> first = proxier.listeners();
    assertThat(first).containsOnlyKeys(a.key(), b.key());

    // New endpoints for A: the same listener, updated; B untouched.
    ListenerPlan a2 = plan(A, pa, "127.0.10.3");
    assertThat(proxier.sync(changes(A, servicePlan(a2)))).isEmpty();
    assertThat(proxier.listeners().get(a.key())).isSameAs(first.get(a.key()));
    assertThat(proxier.listeners().get(b.key())).isSameAs(first.get(b.key()));
    assertThat(first.get(a.key()).target()).isEqualTo(a2.target());

    // An identical plan is a no-op.
    assertThat(proxier.sync(changes(A, servicePlan(a2)))).isEmpty();
    assertThat(proxier.listeners().get(a.key())).isSameAs(first.get(a.key()));

    // A deleted: its socket is closed and free again.
    assertThat(proxier.sync(changes(A, ServicePlan.NONE))).isEmpty();
    assertThat(proxier.listeners()).containsOnlyKeys(b.key());
    // The listener closes on its event loop: wait for it, bounded.
    assertThat(first.get(a.key()).terminated()).succeedsWithin(java.time.Duration.ofSeconds(5));
    try (ServerSocket s = new ServerSocket(pa, 1, NODE)) {
      assertThat(s.isBound()).isTrue();
    }
  }

  @Test
  void aPortMovingBetweenServicesInOneSyncIsRebound() {
    int p = freePort();
    assertThat(proxier.sync(changes(A, servicePlan(plan(A, p, "127.0.10.1"))))).isEmpty();
    assertThat(proxier.sync(changes(A, ServicePlan.NONE, B, servicePlan(plan(B, p, "127.0.10.2")))))
        .isEmpty();
    assertThat(proxier.listeners()).hasSize(1);
    assertThat(proxier.listeners().values().iterator().next().spec().name())
        .isEqualTo("default/b:http");
  }

  @Test
  void aTakenPortIsReportedWithServicePortAndAddressOthersWorkAndItIsRetried() throws IOException {
    int taken = freePort();
    int free = freePort();
    ListenerPlan blocked = plan(A, taken, "127.0.10.1");
    ListenerPlan fine = plan(B, free, "127.0.10.2");
    List<String> errors;
    try (ServerSocket squatter = new ServerSocket(taken, 1, NODE)) {
      errors = proxier.sync(changes(A, servicePlan(blocked), B, servicePlan(fine)));
      assertThat(errors)
          .singleElement()
          .asString()
          .startsWith(
              "service default/a port http (NodePort TCP 127.0.3.1:" + taken + "): cannot bind: ")
          .containsIgnoringCase("address already in use");
      assertThat(proxier.listeners()).containsOnlyKeys(fine.key());
      assertThat(proxier.sync(Map.of())).isEqualTo(errors); // still taken: same report
    }
    assertThat(proxier.sync(Map.of())).isEmpty(); // retried at the next sync, with no change
    assertThat(proxier.listeners()).containsOnlyKeys(blocked.key(), fine.key());
  }

  @Test
  void aSecondServiceWantingAnOwnedSocketIsRefusedUntilTheOwnerLetsGo() {
    int p = freePort();
    assertThat(proxier.sync(changes(A, servicePlan(plan(A, p, "127.0.10.1"))))).isEmpty();
    List<String> errors = proxier.sync(changes(B, servicePlan(plan(B, p, "127.0.10.2"))));
    assertThat(errors)
        .containsExactly(
            "service default/b port http (NodePort TCP 127.0.3.1:"
                + p
                + "): not bound: the socket belongs to service default/a");
    assertThat(proxier.sync(changes(A, ServicePlan.NONE))).isEmpty();
    assertThat(proxier.listeners().values())
        .singleElement()
        .satisfies(l -> assertThat(l.spec().name()).isEqualTo("default/b:http"));
  }

  private static ListenerPlan plan(ServiceName service, int port, String endpoint) {
    return new ListenerPlan(
        new ListenerKey(Protocol.TCP, NODE, port),
        service,
        "http",
        ListenerPlan.Kind.NODE_PORT,
        false,
        ServiceTarget.of(
            new Endpoint(
                IpLiterals.parse(endpoint).orElseThrow(),
                8080,
                true,
                true,
                false,
                Optional.empty())));
  }

  private static ServicePlan servicePlan(ListenerPlan... listeners) {
    return new ServicePlan(List.of(listeners), Optional.empty(), List.of());
  }

  private static Map<ServiceName, ServicePlan> changes(Object... kv) {
    Map<ServiceName, ServicePlan> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((ServiceName) kv[i], (ServicePlan) kv[i + 1]);
    }
    return m;
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, NODE)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
