package dev.switchboard.controlplane.it;

import static dev.switchboard.controlplane.it.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.store.EtcdStore;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.Service;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Allocation through the Admin API on a real etcd: uniqueness, freeing, requests, conflicts. */
class ServiceAllocationTest {
  private static EtcdProcess etcd;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdProcess.start();
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
  }

  @Test
  void twoReplicasCreatingConcurrentlyNeverShareAnAllocationAndDeletesFreeEverything()
      throws Exception {
    try (Cluster cluster = new Cluster(etcd);
        EtcdStore store = cluster.store()) {
      ControlPlane a = cluster.start();
      ControlPlane b = cluster.start();
      List<AdminGrpc.AdminBlockingStub> stubs = List.of(cluster.admin(a), cluster.admin(b));
      ExecutorService pool = Executors.newFixedThreadPool(32);
      try {
        List<Future<Service>> created = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
          AdminGrpc.AdminBlockingStub stub = stubs.get(i % 2);
          Service s = service("svc-" + i, "NodePort", 80);
          created.add(
              pool.submit(
                  () -> stub.applyService(ApplyServiceRequest.newBuilder().setService(s).build())));
        }
        Set<String> clusterIps = new HashSet<>();
        Set<Integer> nodePorts = new HashSet<>();
        for (Future<Service> f : created) {
          Service s = f.get(60, TimeUnit.SECONDS);
          clusterIps.add(s.getSpec().getClusterIp());
          nodePorts.add(s.getSpec().getPorts(0).getNodePort());
        }
        assertThat(clusterIps).hasSize(1000);
        assertThat(nodePorts).hasSize(1000).allMatch(p -> p >= 30000 && p <= 32767);
        assertThat(store.list("alloc/clusterip/").items()).hasSize(1000);
        assertThat(store.list("alloc/nodeport/tcp/").items()).hasSize(1000);

        List<Future<Service>> deleted = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
          AdminGrpc.AdminBlockingStub stub = stubs.get(i % 2);
          String name = "svc-" + i;
          deleted.add(
              pool.submit(
                  () ->
                      stub.deleteService(
                          DeleteRequest.newBuilder()
                              .setNamespace("default")
                              .setName(name)
                              .build())));
        }
        for (Future<Service> f : deleted) {
          f.get(60, TimeUnit.SECONDS);
        }
        assertThat(store.list("alloc/").items()).isEmpty();
        assertThat(store.list("services/").items()).isEmpty();
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void dynamicPicksComeFromTheUpperBandAndRequestsAreHonoured() {
    try (Cluster cluster = new Cluster(etcd)) {
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cluster.start());
      Service dynamic = apply(admin, service("dyn", "NodePort", 80));
      // 30000-32767: the static band is min(max(16, 2768/32), 128) = 86 ports at the bottom.
      assertThat(dynamic.getSpec().getPorts(0).getNodePort()).isGreaterThanOrEqualTo(30086);
      // 127.96.0.0/16: the static band is min(max(16, 65536/16), 256) = 256 addresses.
      assertThat(ipOffset(dynamic.getSpec().getClusterIp())).isGreaterThanOrEqualTo(256);

      Service requested =
          service("req", "NodePort", 80).toBuilder()
              .setSpec(
                  service("req", "NodePort", 80).getSpec().toBuilder()
                      .setClusterIp("127.96.0.10")
                      .setPorts(
                          0,
                          service("req", "NodePort", 80).getSpec().getPorts(0).toBuilder()
                              .setNodePort(30010)))
              .build();
      Service got = apply(admin, requested);
      assertThat(got.getSpec().getClusterIp()).isEqualTo("127.96.0.10");
      assertThat(got.getSpec().getPorts(0).getNodePort()).isEqualTo(30010);

      Service clash =
          requested.toBuilder()
              .setMetadata(requested.getMetadata().toBuilder().setName("clash"))
              .build();
      assertThatThrownBy(() -> apply(admin, clash))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription())
                    .contains(
                        "spec.clusterIP: Invalid value: \"127.96.0.10\": provided IP is already allocated");
              });
      Service portClash =
          service("pclash", "NodePort", 80).toBuilder()
              .setSpec(
                  service("pclash", "NodePort", 80).getSpec().toBuilder()
                      .setPorts(
                          0,
                          service("pclash", "NodePort", 80).getSpec().getPorts(0).toBuilder()
                              .setNodePort(30010)))
              .build();
      assertThatThrownBy(() -> apply(admin, portClash))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e ->
                  assertThat(e.getStatus().getDescription())
                      .contains(
                          "spec.ports[0].nodePort: Invalid value: 30010: provided port is already allocated"));
      // UDP may use the same number as TCP.
      Service udp =
          service("udp", "NodePort", 53).toBuilder()
              .setSpec(
                  service("udp", "NodePort", 53).getSpec().toBuilder()
                      .setPorts(
                          0,
                          service("udp", "NodePort", 53).getSpec().getPorts(0).toBuilder()
                              .setProtocol("UDP")
                              .setNodePort(30010)))
              .build();
      assertThat(apply(admin, udp).getSpec().getPorts(0).getNodePort()).isEqualTo(30010);
    }
  }

  @Test
  void typeChangesTakeAndFreeAllocationsInTheSameTransaction() {
    try (Cluster cluster = new Cluster(etcd);
        EtcdStore store = cluster.store()) {
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cluster.start());
      Service lb =
          apply(
              admin,
              service("web", "LoadBalancer", 80, 443).toBuilder()
                  .setSpec(
                      service("web", "LoadBalancer", 80, 443).getSpec().toBuilder()
                          .setExternalTrafficPolicy("Local"))
                  .build());
      assertThat(lb.getSpec().getLoadBalancerIp()).startsWith("127.0.2.");
      assertThat(lb.getSpec().getHealthCheckNodePort()).isBetween(30000, 32767);
      assertThat(keys(store))
          .containsExactlyInAnyOrder(
              "alloc/clusterip/" + lb.getSpec().getClusterIp(),
              "alloc/nodeport/tcp/" + lb.getSpec().getPorts(0).getNodePort(),
              "alloc/nodeport/tcp/" + lb.getSpec().getPorts(1).getNodePort(),
              "alloc/nodeport/tcp/" + lb.getSpec().getHealthCheckNodePort(),
              "alloc/lbip/" + lb.getSpec().getLoadBalancerIp());

      // Re-applying the same YAML (no allocated values in it) keeps every allocation.
      Service again =
          apply(
              admin,
              service("web", "LoadBalancer", 80, 443).toBuilder()
                  .setSpec(
                      service("web", "LoadBalancer", 80, 443).getSpec().toBuilder()
                          .setExternalTrafficPolicy("Local"))
                  .build());
      assertThat(again.getSpec()).isEqualTo(lb.getSpec());

      Service clusterIp = apply(admin, service("web", "ClusterIP", 80, 443));
      assertThat(clusterIp.getSpec().getClusterIp()).isEqualTo(lb.getSpec().getClusterIp());
      assertThat(clusterIp.getSpec().getPorts(0).getNodePort()).isZero();
      assertThat(clusterIp.getSpec().getLoadBalancerIp()).isEmpty();
      assertThat(clusterIp.getSpec().getHealthCheckNodePort()).isZero();
      assertThat(keys(store)).containsExactly("alloc/clusterip/" + lb.getSpec().getClusterIp());

      Service nodePort = apply(admin, service("web", "NodePort", 80, 443));
      assertThat(keys(store))
          .hasSize(3)
          .contains("alloc/nodeport/tcp/" + nodePort.getSpec().getPorts(0).getNodePort());

      // The clusterIP is immutable.
      Service moved =
          service("web", "NodePort", 80, 443).toBuilder()
              .setSpec(
                  service("web", "NodePort", 80, 443).getSpec().toBuilder()
                      .setClusterIp("127.96.0.99"))
              .build();
      assertThatThrownBy(() -> apply(admin, moved))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription())
                    .contains("spec.clusterIP")
                    .contains("immutable");
              });
    }
  }

  @Test
  void staleResourceVersionIsRefusedAndChangesNothing() {
    try (Cluster cluster = new Cluster(etcd);
        EtcdStore store = cluster.store()) {
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cluster.start());
      Service v1 = apply(admin, service("web", "ClusterIP", 80));
      Service v2 =
          apply(
              admin,
              v1.toBuilder()
                  .setMetadata(v1.getMetadata().toBuilder().putLabels("rev", "2"))
                  .build());
      long revision = store.currentRevision();
      Service stale =
          v1.toBuilder()
              .setMetadata(v1.getMetadata().toBuilder().putLabels("rev", "stale"))
              .build();
      assertThatThrownBy(() -> apply(admin, stale))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
                assertThat(e.getStatus().getDescription()).contains("the object has been modified");
              });
      assertThat(store.currentRevision()).isEqualTo(revision);
      assertThat(
              admin
                  .getService(
                      GetRequest.newBuilder().setNamespace("default").setName("web").build())
                  .getMetadata()
                  .getLabelsMap())
          .containsEntry("rev", "2");
      assertThatThrownBy(
              () ->
                  admin.deleteService(
                      DeleteRequest.newBuilder()
                          .setNamespace("default")
                          .setName("web")
                          .setResourceVersion(v1.getMetadata().getResourceVersion())
                          .build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED));
      assertThat(v2.getMetadata().getResourceVersion())
          .isGreaterThan(v1.getMetadata().getResourceVersion());
      assertThatThrownBy(
              () ->
                  admin.applyService(
                      ApplyServiceRequest.newBuilder()
                          .setService(service("web", "ClusterIP", 80))
                          .setCreateOnly(true)
                          .build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS));
    }
  }

  @Test
  void exhaustionIsAClearErrorNotAHang() {
    try (Cluster cluster = new Cluster(etcd).withRanges("127.96.0.0/29", "30000-30003", "")) {
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cluster.start());
      // A /29 has 8 addresses: network, broadcast and the mesh's own leave 5.
      int created = 0;
      StatusRuntimeException refused = null;
      for (int i = 0; i < 10 && refused == null; i++) {
        try {
          apply(admin, service("s" + i, "ClusterIP", 80));
          created++;
        } catch (StatusRuntimeException e) {
          refused = e;
        }
      }
      assertThat(created).isEqualTo(5);
      assertThat(refused).isNotNull();
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getStatus().getDescription()).contains("spec.clusterIP").contains("full");
    }
  }

  private static Service apply(AdminGrpc.AdminBlockingStub admin, Service service) {
    return admin.applyService(ApplyServiceRequest.newBuilder().setService(service).build());
  }

  private static List<String> keys(EtcdStore store) {
    return store.list("alloc/").items().stream().map(KeyValue::key).toList();
  }

  private static int ipOffset(String ip) {
    String[] parts = ip.split("\\.");
    return Integer.parseInt(parts[2]) * 256 + Integer.parseInt(parts[3]);
  }
}
