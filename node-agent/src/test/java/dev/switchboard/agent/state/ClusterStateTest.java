package dev.switchboard.agent.state;

import static dev.switchboard.agent.Protos.endpoint;
import static dev.switchboard.agent.Protos.endpointPort;
import static dev.switchboard.agent.Protos.endpoints;
import static dev.switchboard.agent.Protos.port;
import static dev.switchboard.agent.Protos.resource;
import static dev.switchboard.agent.Protos.service;
import static dev.switchboard.agent.Protos.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.discovery.client.Batch;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.ResourceKey;
import dev.switchboard.v1.Service;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterStateTest {
  private static final ServiceName WEB = new ServiceName("default", "web");
  private static final ServiceName DB = new ServiceName("default", "db");

  private final Service web =
      service("web", spec("NodePort", "127.96.0.10").addPorts(port("", "TCP", 80, 30080)));
  private final Service db =
      service("db", spec("ClusterIP", "127.96.0.11").addPorts(port("", "TCP", 5432, 0)));
  private final Endpoints webEps =
      endpoints("web", endpoint("127.0.10.1", "n1", true, true, false, endpointPort("", 8080)));

  @Test
  void aSnapshotReplacesEverythingAndRecordsOneChangePerService() {
    ClusterState s = new ClusterState();
    s.apply(
        new Batch(
            true, List.of(resource(web), resource(webEps), resource(db)), List.of(), 7, Map.of()));
    assertThat(s.version()).isEqualTo(7);
    assertThat(s.hasSnapshot()).isTrue();
    assertThat(s.drainChanges())
        .containsOnlyKeys(WEB, DB)
        .hasEntrySatisfying(
            WEB,
            c -> {
              assertThat(c.previous()).isEqualTo(ServiceView.ABSENT);
              assertThat(c.current()).isEqualTo(new ServiceView(web, webEps));
            });

    s.apply(new Batch(true, List.of(resource(web), resource(webEps)), List.of(), 9, Map.of()));
    Map<ServiceName, ChangeTracker.Change<ServiceView>> changes = s.drainChanges();
    assertThat(changes).containsOnlyKeys(DB); // web is unchanged: a no-op, dropped
    assertThat(changes.get(DB).current()).isEqualTo(ServiceView.ABSENT);
  }

  @Test
  void deltasMergeUntilTheNextSyncDrainsThem() {
    ClusterState s = new ClusterState();
    s.apply(new Batch(true, List.of(resource(web)), List.of(), 1, Map.of()));
    s.drainChanges();
    s.apply(new Batch(false, List.of(resource(webEps)), List.of(), 2, Map.of()));
    s.apply(
        new Batch(
            false,
            List.of(),
            List.of(
                ResourceKey.newBuilder()
                    .setKind(Kind.SERVICE)
                    .setNamespace("default")
                    .setName("web")
                    .build()),
            3,
            Map.of()));
    assertThat(s.drainChanges())
        .containsExactly(
            Map.entry(
                WEB,
                new ChangeTracker.Change<>(
                    new ServiceView(web, null), new ServiceView(null, webEps))));
    assertThat(s.version()).isEqualTo(3);
    assertThat(s.hasPendingChanges()).isFalse();
  }

  @Test
  void keepsEverythingTheAgentReadsButThePodNames() throws Exception {
    Endpoints named =
        webEps.toBuilder()
            .setEndpoints(0, webEps.getEndpoints(0).toBuilder().setPodName("web-1"))
            .build();
    ClusterState s = new ClusterState();
    s.apply(new Batch(true, List.of(resource(web), resource(named)), List.of(), 1, Map.of()));

    ServiceView held = s.view(WEB);
    assertThat(held.service()).isEqualTo(web);
    assertThat(held.endpoints()).isEqualTo(webEps);
    assertThat(held.endpoints().getEndpoints(0).getPodName()).isEmpty();
    assertThat(held).isEqualTo(new ServiceView(web, webEps)).isNotEqualTo(ServiceView.ABSENT);
  }

  @Test
  void theSameLabelsInAnotherOrderAreNoChange() {
    Service ab =
        web.toBuilder()
            .setMetadata(web.getMetadata().toBuilder().putLabels("a", "1").putLabels("b", "2"))
            .build();
    Service ba =
        web.toBuilder()
            .setMetadata(web.getMetadata().toBuilder().putLabels("b", "2").putLabels("a", "1"))
            .build();
    ClusterState s = new ClusterState();
    s.apply(new Batch(true, List.of(resource(ab)), List.of(), 1, Map.of()));
    s.drainChanges();

    s.apply(new Batch(false, List.of(resource(ba)), List.of(), 2, Map.of()));

    assertThat(s.hasPendingChanges()).isFalse();
    assertThat(s.view(WEB).service()).isEqualTo(ba);
  }
}
