package dev.switchboard.controlplane.endpoints;

import static dev.switchboard.controlplane.endpoints.Fixtures.NS;
import static dev.switchboard.controlplane.endpoints.Fixtures.pod;
import static dev.switchboard.controlplane.endpoints.Fixtures.port;
import static dev.switchboard.controlplane.endpoints.Fixtures.service;
import static dev.switchboard.controlplane.endpoints.Fixtures.withLabels;
import static dev.switchboard.controlplane.endpoints.Fixtures.withReady;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * At cluster scale a change must touch only what it changes: 10,000 services, 100,000 pods, one
 * readiness flip recomputes and reports exactly one service. (Asserted through the change list, not
 * timings; were any step a scan of all pods or services, the test would take minutes.)
 */
class EndpointsTrackerScaleTest {

  private static final int SERVICES = 10_000;
  private static final int PODS = 100_000;

  private static Map<String, String> app(int i) {
    return Map.of("app", "app-" + i, "env", "prod");
  }

  private static Pod podNumber(int p) {
    return pod("pod-" + p, "10.0." + (p / 256 % 256) + "." + (p % 256), app(p % SERVICES), true);
  }

  @Test
  void onePodFlipRecomputesExactlyOneService() {
    EndpointsTracker tracker = new EndpointsTracker();
    // Pods first (no service selects them yet, so no work), then services (each reads its own 10
    // pods).
    for (int p = 0; p < PODS; p++) {
      assertThat(tracker.onPodUpsert(podNumber(p))).isEmpty();
    }
    int reported = 0;
    for (int s = 0; s < SERVICES; s++) {
      reported += tracker.onServiceUpsert(service("svc-" + s, app(s), port("", 80, 8080))).size();
    }
    assertThat(reported).isEqualTo(SERVICES);
    assertThat(tracker.get(NS, "svc-4242").orElseThrow().getEndpointsCount())
        .isEqualTo(PODS / SERVICES);

    Pod flipped = withReady(podNumber(54_242), false);
    List<EndpointsChange> changes = tracker.onPodUpsert(flipped);
    assertThat(changes).extracting(EndpointsChange::service).containsExactly("svc-4242");
    assertThat(changes.get(0).endpoints().getEndpointsList())
        .filteredOn(e -> e.getPodName().equals("pod-54242"))
        .extracting(e -> e.getConditions().getReady())
        .containsExactly(false);

    assertThat(tracker.onPodUpsert(flipped)).isEmpty();

    // Moving a pod to another app touches exactly the two services involved.
    List<EndpointsChange> moved = tracker.onPodUpsert(withLabels(flipped, app(7)));
    assertThat(moved).extracting(EndpointsChange::service).containsExactly("svc-4242", "svc-7");
    assertThat(tracker.get(NS, "svc-7").orElseThrow().getEndpointsList())
        .extracting(Endpoint::getPodName)
        .contains("pod-54242");

    assertThat(tracker.onPodDelete(NS, "pod-54242"))
        .extracting(EndpointsChange::service)
        .containsExactly("svc-7");
  }

  @Test
  void resyncOfTheWholeClusterReportsEveryServiceOnce() {
    EndpointsTracker tracker = new EndpointsTracker();
    List<Pod> pods = new ArrayList<>(PODS);
    for (int p = 0; p < PODS; p++) {
      pods.add(podNumber(p));
    }
    List<Service> services = new ArrayList<>(SERVICES);
    for (int s = 0; s < SERVICES; s++) {
      services.add(service("svc-" + s, app(s), port("", 80, 8080)));
    }
    assertThat(tracker.resync(services, pods)).hasSize(SERVICES);
    assertThat(tracker.resync(services, pods)).isEmpty();
    assertThat(tracker.onPodUpsert(withReady(podNumber(1), false)))
        .extracting(EndpointsChange::service)
        .containsExactly("svc-1");
  }
}
