package dev.switchboard.controlplane.alloc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ServiceAllocationsTest {

  private static final Allocation.ClusterIp CLUSTER_IP = new Allocation.ClusterIp("10.96.0.10");
  private static final Allocation.NodePort HTTP_TCP = new Allocation.NodePort(Protocol.TCP, 30080);
  private static final Allocation.NodePort DNS_UDP = new Allocation.NodePort(Protocol.UDP, 30053);
  private static final Allocation.NodePort DNS_TCP = new Allocation.NodePort(Protocol.TCP, 30053);
  private static final Allocation.NodePort HEALTH = new Allocation.NodePort(Protocol.TCP, 31000);
  private static final Allocation.LbIp LB_IP = new Allocation.LbIp("127.0.2.7");

  private static ServiceSpec.Builder spec(String type) {
    return ServiceSpec.newBuilder()
        .setType(type)
        .setClusterIp("10.96.0.10")
        .addPorts(
            ServicePort.newBuilder()
                .setName("http")
                .setProtocol("TCP")
                .setPort(80)
                .setNodePort(30080))
        .addPorts(
            ServicePort.newBuilder()
                .setName("dns")
                .setProtocol("UDP")
                .setPort(53)
                .setNodePort(30053))
        .addPorts(
            ServicePort.newBuilder()
                .setName("dns-tcp")
                .setProtocol("TCP")
                .setPort(53)
                .setNodePort(30053));
  }

  private static Service service(ServiceSpec.Builder spec) {
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("web"))
        .setSpec(spec)
        .build();
  }

  private static Service loadBalancerLocal() {
    return service(
        spec("LoadBalancer")
            .setExternalTrafficPolicy("Local")
            .setHealthCheckNodePort(31000)
            .setLoadBalancerIp("127.0.2.7"));
  }

  @Test
  void loadBalancerHoldsEverything() {
    ServiceAllocations a = ServiceAllocations.of(loadBalancerLocal());
    assertThat(a.clusterIp()).hasValue("10.96.0.10");
    assertThat(a.nodePorts()).containsExactlyInAnyOrder(HTTP_TCP, DNS_UDP, DNS_TCP);
    assertThat(a.healthCheckNodePort()).isEqualTo(OptionalInt.of(31000));
    assertThat(a.lbIp()).hasValue("127.0.2.7");
    assertThat(a.all())
        .containsExactlyInAnyOrder(CLUSTER_IP, HTTP_TCP, DNS_UDP, DNS_TCP, HEALTH, LB_IP);
  }

  @Test
  void tcpAndUdpMayShareANodePortNumber() {
    assertThat(ServiceAllocations.of(service(spec("NodePort"))).all())
        .extracting(Allocation::key)
        .containsExactly(
            "alloc/clusterip/10.96.0.10",
            "alloc/nodeport/tcp/30053",
            "alloc/nodeport/tcp/30080",
            "alloc/nodeport/udp/30053");
  }

  @Test
  void onlyWhatTheTypeUsesCounts() {
    // A ClusterIP service echoing old nodePorts and loadBalancerIP holds none of them.
    ServiceAllocations a =
        ServiceAllocations.of(
            service(
                spec("ClusterIP")
                    .setLoadBalancerIp("127.0.2.7")
                    .setExternalTrafficPolicy("Local")
                    .setHealthCheckNodePort(31000)));
    assertThat(a.all()).containsExactly(CLUSTER_IP);
    // Cluster policy needs no health check port.
    assertThat(
            ServiceAllocations.of(service(spec("LoadBalancer").setHealthCheckNodePort(31000)))
                .healthCheckNodePort())
        .isEmpty();
  }

  @Test
  void headlessAndUnallocatedHoldNoClusterIp() {
    assertThat(ServiceAllocations.of(service(spec("ClusterIP").setClusterIp("None"))).clusterIp())
        .isEmpty();
    assertThat(ServiceAllocations.of(service(spec("ClusterIP").setClusterIp(""))).clusterIp())
        .isEmpty();
    assertThat(ServiceAllocations.of(null)).isEqualTo(ServiceAllocations.NONE);
  }

  @Test
  void createTakesEverythingDeleteFreesEverything() {
    AllocationDiff create = ServiceAllocations.diff(null, loadBalancerLocal());
    assertThat(create.toTake())
        .containsExactlyInAnyOrder(CLUSTER_IP, HTTP_TCP, DNS_UDP, DNS_TCP, HEALTH, LB_IP);
    assertThat(create.toFree()).isEmpty();
    AllocationDiff delete = ServiceAllocations.diff(loadBalancerLocal(), null);
    assertThat(delete.toTake()).isEmpty();
    assertThat(delete.toFree()).isEqualTo(create.toTake());
  }

  @Test
  void loadBalancerToClusterIpFreesNodePortsLbIpAndHealthCheckPort() {
    Service clusterIp = service(spec("ClusterIP"));
    AllocationDiff diff = ServiceAllocations.diff(loadBalancerLocal(), clusterIp);
    assertThat(diff.toTake()).isEmpty();
    assertThat(diff.toFree()).containsExactlyInAnyOrder(HTTP_TCP, DNS_UDP, DNS_TCP, HEALTH, LB_IP);
  }

  @Test
  void clusterIpToNodePortTakesNodePorts() {
    Service clusterIp =
        service(
            ServiceSpec.newBuilder()
                .setType("ClusterIP")
                .setClusterIp("10.96.0.10")
                .addPorts(ServicePort.newBuilder().setProtocol("TCP").setPort(80)));
    Service nodePort =
        service(
            ServiceSpec.newBuilder()
                .setType("NodePort")
                .setClusterIp("10.96.0.10")
                .addPorts(
                    ServicePort.newBuilder().setProtocol("TCP").setPort(80).setNodePort(30080)));
    AllocationDiff diff = ServiceAllocations.diff(clusterIp, nodePort);
    assertThat(diff.toTake()).containsExactly(HTTP_TCP);
    assertThat(diff.toFree()).isEmpty();
  }

  @Test
  void changingANodePortSwapsOneKey() {
    Service after =
        service(
            spec("NodePort")
                .setPorts(
                    0,
                    ServicePort.newBuilder()
                        .setName("http")
                        .setProtocol("TCP")
                        .setPort(80)
                        .setNodePort(30081)));
    AllocationDiff diff = ServiceAllocations.diff(service(spec("NodePort")), after);
    assertThat(diff.toTake()).containsExactly(new Allocation.NodePort(Protocol.TCP, 30081));
    assertThat(diff.toFree()).containsExactly(HTTP_TCP);
  }

  @Test
  void unchangedServiceDiffIsEmpty() {
    assertThat(ServiceAllocations.diff(loadBalancerLocal(), loadBalancerLocal()).isEmpty())
        .isTrue();
    assertThat(ServiceAllocations.NONE.lbIp()).isEqualTo(Optional.empty());
  }
}
