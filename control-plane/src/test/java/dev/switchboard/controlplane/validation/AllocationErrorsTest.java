package dev.switchboard.controlplane.validation;

import static dev.switchboard.controlplane.validation.ServiceFixtures.port;
import static dev.switchboard.controlplane.validation.ServiceFixtures.web;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.controlplane.alloc.Allocation;
import dev.switchboard.controlplane.alloc.Protocol;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.LoadBalancerStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceStatus;
import org.junit.jupiter.api.Test;

class AllocationErrorsTest {

  private static Service service() {
    Service.Builder s = web();
    s.getSpecBuilder()
        .setType("LoadBalancer")
        .setClusterIp("10.96.0.10")
        .setLoadBalancerIp("127.0.2.7")
        .setExternalTrafficPolicy("Local")
        .setHealthCheckNodePort(31000)
        .setPorts(0, port("http", 80).setProtocol("TCP").setNodePort(30080))
        .addPorts(port("dns", 53).setProtocol("UDP").setNodePort(30053));
    return s.build();
  }

  @Test
  void takenValuesAreReportedOnTheFieldThatAskedForThem() {
    assertThat(AllocationErrors.alreadyAllocated(service(), new Allocation.ClusterIp("10.96.0.10")))
        .hasToString(
            "spec.clusterIP: Invalid value: \"10.96.0.10\": provided IP is already allocated");
    assertThat(AllocationErrors.alreadyAllocated(service(), new Allocation.LbIp("127.0.2.7")))
        .hasToString(
            "spec.loadBalancerIP: Invalid value: \"127.0.2.7\": provided IP is already allocated");
    assertThat(
            AllocationErrors.alreadyAllocated(
                service(), new Allocation.NodePort(Protocol.UDP, 30053)))
        .hasToString(
            "spec.ports[1].nodePort: Invalid value: 30053: provided port is already allocated");
    assertThat(
            AllocationErrors.alreadyAllocated(
                service(), new Allocation.NodePort(Protocol.TCP, 31000)))
        .hasToString(
            "spec.healthCheckNodePort: Invalid value: 31000: provided port is already allocated");
  }

  @Test
  void statusIngressIsValidated() {
    Service withStatus =
        service().toBuilder()
            .setStatus(
                ServiceStatus.newBuilder()
                    .setLoadBalancer(
                        LoadBalancerStatus.newBuilder()
                            .addIngress(LoadBalancerIngress.newBuilder().setIp("127.0.2.7"))
                            .addIngress(LoadBalancerIngress.newBuilder().setIp("127.0.2"))
                            .addIngress(LoadBalancerIngress.newBuilder().setHostname("127.0.2.8"))))
            .build();
    assertThat(ServiceFixtures.VALIDATOR.validateStatus(withStatus))
        .extracting(FieldError::toString)
        .containsExactly(
            "status.loadBalancer.ingress[1].ip: Invalid value: \"127.0.2\": must be a valid IP address",
            "status.loadBalancer.ingress[2].hostname: Invalid value: \"127.0.2.8\": must be a DNS name, not an IP address");
    Service clusterIp =
        withStatus.toBuilder()
            .setSpec(withStatus.getSpec().toBuilder().setType("ClusterIP"))
            .build();
    assertThat(ServiceFixtures.VALIDATOR.validateStatus(clusterIp))
        .extracting(FieldError::toString)
        .first()
        .isEqualTo(
            "status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'");
  }
}
