package dev.switchboard.controlplane.endpoints;

import static dev.switchboard.controlplane.endpoints.Fixtures.NS;
import static dev.switchboard.controlplane.endpoints.Fixtures.pod;
import static dev.switchboard.controlplane.endpoints.Fixtures.port;
import static dev.switchboard.controlplane.endpoints.Fixtures.service;
import static dev.switchboard.controlplane.endpoints.Fixtures.withLabels;
import static dev.switchboard.controlplane.endpoints.Fixtures.withReady;
import static dev.switchboard.controlplane.endpoints.Fixtures.withTerminating;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EndpointsTrackerTest {

  private static final Map<String, String> WEB = Map.of("app", "web");
  private static final Map<String, String> API = Map.of("app", "api");

  private final EndpointsTracker tracker = new EndpointsTracker();

  @BeforeEach
  void twoServices() {
    tracker.onServiceUpsert(service("web", WEB, port("", 80, 8080)));
    tracker.onServiceUpsert(service("api", API, port("", 80, 9090)));
  }

  /** The services named by a change list, in order. */
  private static List<String> names(List<EndpointsChange> changes) {
    return changes.stream().map(EndpointsChange::service).toList();
  }

  private List<String> podsOf(String service) {
    return tracker.get(NS, service).orElseThrow().getEndpointsList().stream()
        .map(Endpoint::getPodName)
        .toList();
  }

  @Test
  void aNewSelectorServiceReportsEmptyEndpoints() {
    List<EndpointsChange> changes =
        tracker.onServiceUpsert(service("db", Map.of("app", "db"), port("", 5432, 0)));
    assertThat(changes).hasSize(1);
    assertThat(changes.get(0).deleted()).isFalse();
    assertThat(changes.get(0).endpoints().getEndpointsList()).isEmpty();
    assertThat(changes.get(0).endpoints().getMetadata().getName()).isEqualTo("db");
  }

  @Test
  void aPodChangeTouchesOnlyTheServicesSelectingIt() {
    List<EndpointsChange> changes = tracker.onPodUpsert(pod("web-1", "127.0.10.1", WEB, true));
    assertThat(names(changes)).containsExactly("web");
    assertThat(changes.get(0).endpoints()).isEqualTo(tracker.get(NS, "web").orElseThrow());
    assertThat(podsOf("web")).containsExactly("web-1");
    assertThat(podsOf("api")).isEmpty();
  }

  @Test
  void aPodSelectedByTwoServicesChangesBoth() {
    tracker.onServiceUpsert(service("everything", Map.of("tier", "front"), port("", 80, 80)));
    List<EndpointsChange> changes =
        tracker.onPodUpsert(
            pod("web-1", "127.0.10.1", Map.of("app", "web", "tier", "front"), true));
    assertThat(names(changes)).containsExactly("everything", "web");
  }

  @Test
  void reapplyingTheSamePodChangesNothing() {
    Pod pod = pod("web-1", "127.0.10.1", WEB, true);
    tracker.onPodUpsert(pod);
    assertThat(tracker.onPodUpsert(pod)).isEmpty();
    Pod newVersion =
        pod.toBuilder()
            .setMetadata(
                pod.getMetadata().toBuilder().setResourceVersion(99).putAnnotations("note", "x"))
            .build();
    assertThat(tracker.onPodUpsert(newVersion)).isEmpty();
  }

  @Test
  void aPodChangeNoServiceCanSeeChangesNothing() {
    Pod pod = pod("web-1", "127.0.10.1", WEB, true);
    tracker.onPodUpsert(pod);
    // A label that no selector reads: the service is recomputed, the result is equal.
    assertThat(tracker.onPodUpsert(withLabels(pod, Map.of("app", "web", "version", "2"))))
        .isEmpty();
  }

  @Test
  void readinessAndTerminationFlipsAreReported() {
    Pod pod = pod("web-1", "127.0.10.1", WEB, false);
    tracker.onPodUpsert(pod);
    assertThat(tracker.get(NS, "web").orElseThrow().getEndpoints(0).getConditions().getReady())
        .isFalse();

    List<EndpointsChange> ready = tracker.onPodUpsert(withReady(pod, true));
    assertThat(names(ready)).containsExactly("web");
    assertThat(ready.get(0).endpoints().getEndpoints(0).getConditions().getReady()).isTrue();

    List<EndpointsChange> terminating =
        tracker.onPodUpsert(withTerminating(withReady(pod, true), true));
    assertThat(names(terminating)).containsExactly("web");
    assertThat(terminating.get(0).endpoints().getEndpoints(0).getConditions().getReady()).isFalse();
    assertThat(terminating.get(0).endpoints().getEndpoints(0).getConditions().getServing())
        .isTrue();
  }

  @Test
  void aLabelChangeMovesThePodBetweenServices() {
    Pod pod = pod("p-1", "127.0.10.1", WEB, true);
    tracker.onPodUpsert(pod);
    List<EndpointsChange> changes = tracker.onPodUpsert(withLabels(pod, API));
    assertThat(names(changes)).containsExactly("api", "web");
    assertThat(podsOf("web")).isEmpty();
    assertThat(podsOf("api")).containsExactly("p-1");
    assertThat(changes.get(0).endpoints()).isEqualTo(tracker.get(NS, "api").orElseThrow());
    assertThat(changes.get(1).endpoints()).isEqualTo(tracker.get(NS, "web").orElseThrow());
  }

  @Test
  void aSelectorChangeRecomputesTheService() {
    tracker.onPodUpsert(pod("web-1", "127.0.10.1", WEB, true));
    tracker.onPodUpsert(pod("api-1", "127.0.10.2", API, true));
    List<EndpointsChange> changes =
        tracker.onServiceUpsert(service("web", API, port("", 80, 8080)));
    assertThat(names(changes)).containsExactly("web");
    assertThat(podsOf("web")).containsExactly("api-1");
    // The old selector no longer reaches it.
    assertThat(names(tracker.onPodUpsert(withReady(pod("web-1", "127.0.10.1", WEB, true), false))))
        .isEmpty();
    assertThat(names(tracker.onPodUpsert(withReady(pod("api-1", "127.0.10.2", API, true), false))))
        .containsExactly("api", "web");
  }

  @Test
  void aServiceUpdateThatDoesNotTouchSelectorOrPortsChangesNothing() {
    tracker.onPodUpsert(pod("web-1", "127.0.10.1", WEB, true));
    Service web = service("web", WEB, port("", 80, 8080));
    Service nodePort =
        web.toBuilder()
            .setSpec(
                web.getSpec().toBuilder()
                    .setType("NodePort")
                    .setPorts(0, web.getSpec().getPorts(0).toBuilder().setNodePort(30080)))
            .setMetadata(web.getMetadata().toBuilder().setResourceVersion(7))
            .build();
    // nodePort is part of the port, so this is recomputed, but the endpoints are equal.
    assertThat(tracker.onServiceUpsert(nodePort)).isEmpty();
    assertThat(
            tracker.onServiceUpsert(
                nodePort.toBuilder()
                    .setMetadata(nodePort.getMetadata().toBuilder().setResourceVersion(8))
                    .build()))
        .isEmpty();
  }

  @Test
  void aPortChangeIsReported() {
    tracker.onPodUpsert(pod("web-1", "127.0.10.1", WEB, true));
    List<EndpointsChange> changes =
        tracker.onServiceUpsert(service("web", WEB, port("", 80, 8081)));
    assertThat(names(changes)).containsExactly("web");
    assertThat(changes.get(0).endpoints().getEndpoints(0).getPorts(0).getPort()).isEqualTo(8081);
  }

  @Test
  void removingTheSelectorDeletesTheDerivedEndpoints() {
    List<EndpointsChange> changes =
        tracker.onServiceUpsert(service("web", Map.of(), port("", 80, 8080)));
    assertThat(changes).containsExactly(new EndpointsChange(NS, "web", null));
    assertThat(tracker.get(NS, "web")).isEmpty();
    assertThat(tracker.onPodUpsert(pod("web-1", "127.0.10.1", WEB, true))).isEmpty();
  }

  @Test
  void deletingAServiceReportsItOnce() {
    assertThat(tracker.onServiceDelete(NS, "web"))
        .containsExactly(new EndpointsChange(NS, "web", null));
    assertThat(tracker.onServiceDelete(NS, "web")).isEmpty();
    assertThat(tracker.onPodUpsert(pod("web-1", "127.0.10.1", WEB, true))).isEmpty();
    assertThat(tracker.all()).extracting(e -> e.getMetadata().getName()).containsExactly("api");
  }

  @Test
  void deletingAPodRemovesItFromItsServices() {
    tracker.onPodUpsert(pod("web-1", "127.0.10.1", WEB, true));
    tracker.onPodUpsert(pod("web-2", "127.0.10.2", WEB, true));
    List<EndpointsChange> changes = tracker.onPodDelete(NS, "web-1");
    assertThat(names(changes)).containsExactly("web");
    assertThat(podsOf("web")).containsExactly("web-2");
    assertThat(tracker.onPodDelete(NS, "web-1")).isEmpty();
    assertThat(tracker.podCount()).isEqualTo(1);
  }

  @Test
  void aPodWithoutIpIsHeldButNotListedUntilItHasOne() {
    Pod pending = pod("web-1", "", WEB, false);
    assertThat(tracker.onPodUpsert(pending)).isEmpty();
    Pod running =
        pending.toBuilder()
            .setStatus(pending.getStatus().toBuilder().setPodIp("127.0.10.1"))
            .build();
    assertThat(names(tracker.onPodUpsert(running))).containsExactly("web");
  }

  @Test
  void namespacesDoNotMix() {
    tracker.onServiceUpsert(service("other", "web", WEB, port("", 80, 8080)));
    List<EndpointsChange> changes =
        tracker.onPodUpsert(pod("other", "web-1", "127.0.10.1", WEB, true));
    assertThat(changes)
        .extracting(EndpointsChange::namespace, EndpointsChange::service)
        .containsExactly(tuple("other", "web"));
    assertThat(podsOf("web")).isEmpty();
  }

  @Test
  void resyncReportsOnlyTheDifference() {
    Pod web1 = pod("web-1", "127.0.10.1", WEB, true);
    tracker.onPodUpsert(web1);
    tracker.onServiceUpsert(service("gone", Map.of("app", "gone"), port("", 80, 80)));
    Endpoints webBefore = tracker.get(NS, "web").orElseThrow();

    List<EndpointsChange> changes =
        tracker.resync(
            List.of(
                service("web", WEB, port("", 80, 8080)),
                service("api", API, port("", 80, 9090)),
                service("new", Map.of("app", "new"), port("", 80, 80))),
            List.of(web1, pod("api-1", "127.0.10.2", API, true)));
    assertThat(changes)
        .extracting(EndpointsChange::service, EndpointsChange::deleted)
        .containsExactly(tuple("api", false), tuple("gone", true), tuple("new", false));
    assertThat(tracker.get(NS, "web")).contains(webBefore);
    assertThat(tracker.serviceCount()).isEqualTo(3);
    assertThat(tracker.podCount()).isEqualTo(2);
    // Incremental events keep working on the resynced state.
    assertThat(names(tracker.onPodDelete(NS, "api-1"))).containsExactly("api");
  }

  @Test
  void allIsSortedByNamespaceThenName() {
    tracker.onServiceUpsert(service("a-ns", "zeta", WEB, port("", 80, 80)));
    assertThat(tracker.all())
        .extracting(e -> e.getMetadata().getNamespace() + "/" + e.getMetadata().getName())
        .containsExactly("a-ns/zeta", "default/api", "default/web");
  }
}
