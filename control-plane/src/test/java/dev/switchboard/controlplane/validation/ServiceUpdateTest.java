package dev.switchboard.controlplane.validation;

import static dev.switchboard.controlplane.validation.ServiceFixtures.port;
import static dev.switchboard.controlplane.validation.ServiceFixtures.updateErrors;
import static dev.switchboard.controlplane.validation.ServiceFixtures.web;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.controlplane.alloc.ClusterIpRange;
import dev.switchboard.controlplane.alloc.LbIpPools;
import dev.switchboard.controlplane.alloc.PortRange;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.LoadBalancerStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceStatus;
import org.junit.jupiter.api.Test;

/** Updates: immutability, type changes, and Kubernetes' preparation of the new object. */
class ServiceUpdateTest {

  /** As stored: allocated clusterIP. */
  private static Service.Builder stored() {
    Service.Builder s = web();
    s.getSpecBuilder().setClusterIp("10.96.0.10");
    return s;
  }

  private static Service.Builder storedLoadBalancer() {
    Service.Builder s = web();
    s.getSpecBuilder()
        .setType("LoadBalancer")
        .setClusterIp("10.96.0.10")
        .setExternalTrafficPolicy("Local")
        .setHealthCheckNodePort(31000)
        .setLoadBalancerIp("127.0.2.7")
        .setPorts(0, port("http", 80).setNodePort(30080));
    s.setStatus(
        ServiceStatus.newBuilder()
            .setLoadBalancer(
                LoadBalancerStatus.newBuilder()
                    .addIngress(LoadBalancerIngress.newBuilder().setIp("127.0.2.7"))));
    return s;
  }

  @Test
  void clusterIpIsImmutableOnceSet() {
    Service.Builder updated = stored();
    updated.getSpecBuilder().setClusterIp("10.96.0.11");
    assertThat(updateErrors(stored(), updated))
        .containsExactly("spec.clusterIP: Invalid value: \"10.96.0.11\": field is immutable");
  }

  @Test
  void aServiceCannotBecomeHeadless() {
    Service.Builder updated = stored();
    updated.getSpecBuilder().setClusterIp("None");
    assertThat(updateErrors(stored(), updated))
        .containsExactly("spec.clusterIP: Invalid value: \"None\": field is immutable");
  }

  @Test
  void aHeadlessServiceCannotGetAClusterIp() {
    Service.Builder headless = web();
    headless.getSpecBuilder().setClusterIp("None");
    Service.Builder updated = web();
    updated.getSpecBuilder().setClusterIp("10.96.0.12");
    assertThat(updateErrors(headless, updated))
        .containsExactly("spec.clusterIP: Invalid value: \"10.96.0.12\": field is immutable");
  }

  @Test
  void omittedClusterIpKeepsTheAllocatedOne() {
    // Applying the same YAML twice (no clusterIP in it) is not a change.
    assertThat(updateErrors(stored(), web())).isEmpty();
    Service prepared =
        ServiceDefaults.prepareForUpdate(stored().build(), ServiceDefaults.apply(web().build()));
    assertThat(prepared.getSpec().getClusterIp()).isEqualTo("10.96.0.10");
  }

  @Test
  void nameAndNamespaceAreImmutable() {
    Service.Builder updated = stored();
    updated.getMetadataBuilder().setName("web2");
    assertThat(updateErrors(stored(), updated))
        .containsExactly("metadata.name: Invalid value: \"web2\": field is immutable");
  }

  @Test
  void typeChangesAreAllowed() {
    Service.Builder toNodePort = stored();
    toNodePort.getSpecBuilder().setType("NodePort");
    assertThat(updateErrors(stored(), toNodePort)).isEmpty();
    Service.Builder toClusterIp = storedLoadBalancer();
    toClusterIp.getSpecBuilder().setType("ClusterIP");
    assertThat(updateErrors(storedLoadBalancer(), toClusterIp)).isEmpty();
  }

  @Test
  void leavingLoadBalancerDropsWhatTheClientEchoedBack() {
    Service.Builder toClusterIp = storedLoadBalancer();
    toClusterIp.getSpecBuilder().setType("ClusterIP");
    Service prepared =
        ServiceDefaults.prepareForUpdate(
            storedLoadBalancer().build(), ServiceDefaults.apply(toClusterIp.build()));
    assertThat(prepared.getSpec().getPorts(0).getNodePort()).isZero();
    assertThat(prepared.getSpec().getHealthCheckNodePort()).isZero();
    assertThat(prepared.getSpec().getLoadBalancerIp()).isEmpty();
    assertThat(prepared.getSpec().getExternalTrafficPolicy()).isEmpty();
    assertThat(prepared.getStatus()).isEqualTo(ServiceStatus.getDefaultInstance());
    assertThat(prepared.getSpec().getClusterIp()).isEqualTo("10.96.0.10");
  }

  @Test
  void changedNodePortsAreNotDroppedButRefused() {
    Service.Builder toClusterIp = storedLoadBalancer();
    toClusterIp
        .getSpecBuilder()
        .setType("ClusterIP")
        .setPorts(0, port("http", 80).setNodePort(30081))
        .setHealthCheckNodePort(0)
        .setExternalTrafficPolicy("")
        .setLoadBalancerIp("");
    assertThat(updateErrors(storedLoadBalancer(), toClusterIp))
        .containsExactly(
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  }

  @Test
  void omittedAllocatedValuesAreKeptWhileTheTypeUsesThem() {
    Service.Builder sameYaml = web();
    sameYaml.getSpecBuilder().setType("LoadBalancer").setExternalTrafficPolicy("Local");
    Service prepared =
        ServiceDefaults.prepareForUpdate(
            storedLoadBalancer().build(), ServiceDefaults.apply(sameYaml.build()));
    assertThat(prepared.getSpec().getPorts(0).getNodePort()).isEqualTo(30080);
    assertThat(prepared.getSpec().getHealthCheckNodePort()).isEqualTo(31000);
    assertThat(prepared.getSpec().getLoadBalancerIp()).isEqualTo("127.0.2.7");
    assertThat(prepared.getStatus().getLoadBalancer().getIngress(0).getIp()).isEqualTo("127.0.2.7");
    assertThat(updateErrors(storedLoadBalancer(), sameYaml)).isEmpty();
  }

  @Test
  void nodePortsArePatchedByPortName() {
    Service.Builder stored = storedLoadBalancer();
    stored.getSpecBuilder().addPorts(port("https", 443).setNodePort(30443));
    Service.Builder reordered = web();
    reordered
        .getSpecBuilder()
        .setType("LoadBalancer")
        .setExternalTrafficPolicy("Local")
        .clearPorts()
        .addPorts(port("https", 443))
        .addPorts(port("http", 80));
    Service prepared =
        ServiceDefaults.prepareForUpdate(stored.build(), ServiceDefaults.apply(reordered.build()));
    assertThat(prepared.getSpec().getPorts(0).getNodePort()).isEqualTo(30443);
    assertThat(prepared.getSpec().getPorts(1).getNodePort()).isEqualTo(30080);
  }

  @Test
  void healthCheckNodePortIsImmutableWhileNeeded() {
    Service.Builder updated = storedLoadBalancer();
    updated.getSpecBuilder().setHealthCheckNodePort(31001);
    assertThat(updateErrors(storedLoadBalancer(), updated))
        .containsExactly("spec.healthCheckNodePort: Forbidden: field is immutable");
  }

  @Test
  void heldValuesOutsideANarrowedRangeStayValid() {
    // The operator narrowed the NodePort range after the service got 30080.
    ServiceValidator narrowed =
        new ServiceValidator(
            ClusterIpRange.parse("10.97.0.0/16"),
            PortRange.parse("31000-31999"),
            LbIpPools.parse("127.0.9.0/24"));
    Service.Builder stored = storedLoadBalancer();
    stored.getSpecBuilder().setExternalTrafficPolicy("Cluster").setHealthCheckNodePort(0);
    Service old = ServiceDefaults.apply(stored.build());
    Service.Builder relabelled = old.toBuilder();
    relabelled.getMetadataBuilder().putLabels("tier", "front");
    Service updated =
        ServiceDefaults.prepareForUpdate(old, ServiceDefaults.apply(relabelled.build()));
    assertThat(narrowed.validateUpdate(old, updated)).isEmpty();
    assertThat(narrowed.validate(updated))
        .extracting(FieldError::toString)
        .containsExactly(
            "spec.clusterIP: Invalid value: \"10.96.0.10\": provided IP is not in the valid range. "
                + "The range of valid IPs is 10.97.0.0/16",
            "spec.ports[0].nodePort: Invalid value: 30080: provided port is not in the valid range. "
                + "The range of valid ports is 31000-31999",
            "spec.loadBalancerIP: Invalid value: \"127.0.2.7\": provided IP is not in the valid range. "
                + "The range of valid IPs is 127.0.9.0/24");
  }

  @Test
  void createDropsStatus() {
    Service created =
        ServiceDefaults.prepareForCreate(ServiceDefaults.apply(storedLoadBalancer().build()));
    assertThat(created.hasStatus()).isFalse();
  }
}
