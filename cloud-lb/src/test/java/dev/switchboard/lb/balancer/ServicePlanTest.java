package dev.switchboard.lb.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.forwarder.Protocol;
import dev.switchboard.v1.Annotations;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class ServicePlanTest {

  private static Service.Builder lb() {
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("web"))
        .setSpec(
            ServiceSpec.newBuilder()
                .setType("LoadBalancer")
                .setLoadBalancerIp("127.0.2.7")
                .setExternalTrafficPolicy("Cluster")
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
                        .setNodePort(30053)));
  }

  @Test
  void readsWhatTheBalancerNeeds() {
    ServicePlan p = ServicePlan.of(lb().build());
    assertThat(p.ip().getHostAddress()).isEqualTo("127.0.2.7");
    assertThat(p.ports())
        .containsExactly(
            new ServicePlan.PortPlan("http", Protocol.TCP, 80, 30080),
            new ServicePlan.PortPlan("dns", Protocol.UDP, 53, 30053));
    assertThat(p.localPolicy()).isFalse();
    assertThat(p.sourceRanges().isAll()).isTrue();
    assertThat(p.proxyProtocol()).isFalse();
    assertThat(p.warnings()).isEmpty();
  }

  @Test
  void deprecatedSourceRangesAnnotationRestrictsWhenTheFieldIsEmpty() throws Exception {
    Service.Builder s = lb();
    s.getMetadataBuilder()
        .putAnnotations(Annotations.LOAD_BALANCER_SOURCE_RANGES, " 127.0.30.0/24 ,10.0.0.0/8");
    SourceRanges annotated = ServicePlan.of(s.build()).sourceRanges();
    assertThat(annotated.isAll()).isFalse();
    assertThat(annotated.allows(InetAddress.getByName("127.0.30.5"))).isTrue();
    assertThat(annotated.allows(InetAddress.getByName("10.1.2.3"))).isTrue();
    assertThat(annotated.allows(InetAddress.getByName("127.0.40.1"))).isFalse();

    // The field, when set, wins, as for Kubernetes' cloud providers.
    s.getSpecBuilder().addLoadBalancerSourceRanges("127.0.40.0/24");
    SourceRanges field = ServicePlan.of(s.build()).sourceRanges();
    assertThat(field.allows(InetAddress.getByName("127.0.40.1"))).isTrue();
    assertThat(field.allows(InetAddress.getByName("127.0.30.5"))).isFalse();

    Service.Builder blank = lb();
    blank.getMetadataBuilder().putAnnotations(Annotations.LOAD_BALANCER_SOURCE_RANGES, " ");
    assertThat(ServicePlan.of(blank.build()).sourceRanges().isAll()).isTrue();

    Service.Builder bad = lb();
    bad.getMetadataBuilder()
        .putAnnotations(Annotations.LOAD_BALANCER_SOURCE_RANGES, "127.0.30.0/24, nope");
    assertThatThrownBy(() -> ServicePlan.of(bad.build()))
        .hasMessage(
            "default/web: metadata.annotations["
                + "service.beta.kubernetes.io/load-balancer-source-ranges]: nope (expected: a CIDR such as 10.0.0.0/8)");
  }

  @Test
  void proxyProtocolIsOptInByAnnotation() {
    Service.Builder s = lb();
    s.getMetadataBuilder().putAnnotations(ServicePlan.PROXY_PROTOCOL_ANNOTATION, "v2");
    assertThat(ServicePlan.of(s.build()).proxyProtocol()).isTrue();
    s.getMetadataBuilder().putAnnotations(ServicePlan.PROXY_PROTOCOL_ANNOTATION, "v1");
    ServicePlan p = ServicePlan.of(s.build());
    assertThat(p.proxyProtocol()).isFalse();
    assertThat(p.warnings())
        .containsExactly(
            "default/web: metadata.annotations[switchboard.dev/proxy-protocol]: v1"
                + " (expected: v2); served without PROXY protocol");
  }

  @Test
  void whatCannotBeServedIsRefusedNamingTheField() {
    Service.Builder noIp = lb();
    noIp.getSpecBuilder().setLoadBalancerIp("");
    assertThatThrownBy(() -> ServicePlan.of(noIp.build()))
        .hasMessage("default/web: spec.loadBalancerIP: \"\" (expected: an allocated IPv4 address)");

    Service.Builder badRange = lb();
    badRange.getSpecBuilder().addLoadBalancerSourceRanges("nope");
    assertThatThrownBy(() -> ServicePlan.of(badRange.build()))
        .hasMessage(
            "default/web: spec.loadBalancerSourceRanges[0]: nope (expected: a CIDR such as 10.0.0.0/8)");

    Service.Builder local = lb();
    local.getSpecBuilder().setExternalTrafficPolicy("Local");
    assertThatThrownBy(() -> ServicePlan.of(local.build()))
        .hasMessage(
            "default/web: spec.healthCheckNodePort: 0 (expected: 1-65535 for externalTrafficPolicy Local)");

    Service.Builder noNodePort = lb();
    noNodePort.getSpecBuilder().getPortsBuilder(1).setNodePort(0);
    assertThatThrownBy(() -> ServicePlan.of(noNodePort.build()))
        .hasMessage("default/web: spec.ports[1].nodePort: 0 (expected: an allocated port 1-65535)");
  }
}
