package dev.switchboard.controlplane.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Role;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A snapshot is built once per role and version, and is what a fresh subscriber must get: the
 * role's objects in order, split into messages of at most 500, the first marked snapshot, all but
 * the last marked more and at version 0, the last at the version.
 */
class SharedSnapshotsTest {
  private final AtomicLong nonces = new AtomicLong();
  private final SharedSnapshots snapshots = new SharedSnapshots(nonces);
  private final AtomicInteger reads = new AtomicInteger();
  private final Map<ResourceId, Resource> state = new LinkedHashMap<>();
  private final Supplier<Map<ResourceId, Resource>> reader =
      () -> {
        reads.incrementAndGet();
        return state;
      };

  SharedSnapshotsTest() {
    for (int i = 0; i < 1_100; i++) {
      put(service("svc-" + i, i % 10 == 0 ? "LoadBalancer" : "ClusterIP"));
    }
    for (int i = 0; i < 3; i++) {
      put(
          Resource.newBuilder()
              .setNode(Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("node-" + i)))
              .build());
    }
  }

  @Test
  void anAgentsSnapshotIsEveryObjectInOrderInMessagesOfAtMost500() throws Exception {
    SharedSnapshots.Chunks chunks = snapshots.get(Role.AGENT, 42, reader);
    List<DiscoveryResponse> messages = parse(chunks);
    assertThat(messages).hasSize(3);
    assertThat(messages)
        .extracting(DiscoveryResponse::getSnapshot)
        .containsExactly(true, false, false);
    assertThat(messages).extracting(DiscoveryResponse::getMore).containsExactly(true, true, false);
    assertThat(messages).extracting(DiscoveryResponse::getVersion).containsExactly(0L, 0L, 42L);
    assertThat(messages)
        .extracting(DiscoveryResponse::getResourcesCount)
        .containsExactly(500, 500, 103);
    assertThat(chunks.resources()).containsExactly(500, 500, 103);
    assertThat(messages).extracting(DiscoveryResponse::getNonce).doesNotHaveDuplicates();
    List<Resource> all = new ArrayList<>();
    messages.forEach(m -> all.addAll(m.getResourcesList()));
    assertThat(all).containsExactlyElementsOf(state.values());
  }

  @Test
  void aLoadBalancersSnapshotHoldsOnlyLoadBalancerServicesAndNodes() throws Exception {
    List<DiscoveryResponse> messages = parse(snapshots.get(Role.LOAD_BALANCER, 42, reader));
    assertThat(messages)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getSnapshot()).isTrue();
              assertThat(m.getMore()).isFalse();
              assertThat(m.getVersion()).isEqualTo(42);
              assertThat(m.getResourcesCount()).isEqualTo(110 + 3);
            });
  }

  @Test
  void oneBuildPerRoleAndVersion() {
    SharedSnapshots.Chunks first = snapshots.get(Role.AGENT, 42, reader);
    assertThat(snapshots.get(Role.AGENT, 42, reader)).isSameAs(first);
    assertThat(reads).hasValue(1);
    snapshots.get(Role.LOAD_BALANCER, 42, reader);
    assertThat(reads).hasValue(2);
    // A new version (or a publication, which clears) builds anew.
    assertThat(snapshots.get(Role.AGENT, 43, reader)).isNotSameAs(first);
    snapshots.clear();
    snapshots.get(Role.AGENT, 43, reader);
    assertThat(reads).hasValue(4);
  }

  @Test
  void anEmptyStateIsOneEmptySnapshotAtTheVersion() throws Exception {
    state.clear();
    assertThat(parse(snapshots.get(Role.AGENT, 7, reader)))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getSnapshot()).isTrue();
              assertThat(m.getMore()).isFalse();
              assertThat(m.getVersion()).isEqualTo(7);
              assertThat(m.getResourcesCount()).isZero();
            });
  }

  private void put(Resource r) {
    state.put(ResourceId.of(r), r);
  }

  private static Resource service(String name, String type) {
    return Resource.newBuilder()
        .setService(
            Service.newBuilder()
                .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name))
                .setSpec(ServiceSpec.newBuilder().setType(type)))
        .build();
  }

  private static List<DiscoveryResponse> parse(SharedSnapshots.Chunks chunks)
      throws InvalidProtocolBufferException {
    List<DiscoveryResponse> out = new ArrayList<>();
    for (byte[] m : chunks.messages()) {
      out.add(DiscoveryResponse.parseFrom(m));
    }
    return out;
  }
}
