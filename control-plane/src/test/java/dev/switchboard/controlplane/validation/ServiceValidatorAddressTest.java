package dev.switchboard.controlplane.validation;

import static dev.switchboard.controlplane.validation.ServiceFixtures.errors;
import static dev.switchboard.controlplane.validation.ServiceFixtures.port;
import static dev.switchboard.controlplane.validation.ServiceFixtures.web;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.controlplane.alloc.ClusterIpRange;
import dev.switchboard.controlplane.alloc.LbIpPools;
import dev.switchboard.controlplane.alloc.PortRange;
import dev.switchboard.v1.Annotations;
import dev.switchboard.v1.ClientIPConfig;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.SessionAffinityConfig;
import org.junit.jupiter.api.Test;

/** clusterIP, nodePorts, affinity, traffic policies and LoadBalancer fields: one test per rule. */
class ServiceValidatorAddressTest {

  private static Service.Builder nodePort(int nodePort) {
    Service.Builder s = web();
    s.getSpecBuilder().setType("NodePort").setPorts(0, port("http", 80).setNodePort(nodePort));
    return s;
  }

  private static Service.Builder loadBalancer() {
    Service.Builder s = web();
    s.getSpecBuilder().setType("LoadBalancer");
    return s;
  }

  private static SessionAffinityConfig timeout(int seconds) {
    return SessionAffinityConfig.newBuilder()
        .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(seconds))
        .build();
  }

  @Test
  void nodePortIsForbiddenForClusterIpServices() {
    Service.Builder s = web();
    s.getSpecBuilder().setPorts(0, port("http", 80).setNodePort(30080));
    assertThat(errors(s))
        .containsExactly(
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  }

  @Test
  void nodePortMustBeInTheConfiguredRange() {
    assertThat(errors(nodePort(29999)))
        .containsExactly(
            "spec.ports[0].nodePort: Invalid value: 29999: provided port "
                + "is not in the valid range. The range of valid ports is 30000-32767");
    assertThat(errors(nodePort(30000))).isEmpty();
    assertThat(errors(nodePort(32767))).isEmpty();
  }

  @Test
  void nodePortZeroMeansAllocate() {
    assertThat(errors(nodePort(0))).isEmpty();
  }

  @Test
  void nodePortAndProtocolAreUniqueWithinTheService() {
    Service.Builder s = nodePort(30080);
    s.getSpecBuilder().addPorts(port("https", 443).setNodePort(30080));
    assertThat(errors(s)).containsExactly("spec.ports[1].nodePort: Duplicate value: 30080");
  }

  @Test
  void tcpAndUdpMayShareANodePort() {
    Service.Builder s = nodePort(30053);
    s.getSpecBuilder().addPorts(port("dns", 53).setProtocol("UDP").setNodePort(30053));
    assertThat(errors(s)).isEmpty();
  }

  @Test
  void clusterIpMustBeAnIpv4Address() {
    Service.Builder s = web();
    s.getSpecBuilder().setClusterIp("10.96.0.300");
    assertThat(errors(s))
        .containsExactly(
            "spec.clusterIP: Invalid value: \"10.96.0.300\": must be empty, 'None', or a valid IPv4 address");
  }

  @Test
  void clusterIpMustBeInTheServiceCidr() {
    Service.Builder s = web();
    s.getSpecBuilder().setClusterIp("10.0.0.1");
    assertThat(errors(s))
        .containsExactly(
            "spec.clusterIP: Invalid value: \"10.0.0.1\": provided IP is not in the "
                + "valid range. The range of valid IPs is 10.96.0.0/12");
  }

  @Test
  void clusterIpMayNotBeTheNetworkOrBroadcastAddress() {
    Service.Builder s = web();
    s.getSpecBuilder().setClusterIp("10.111.255.255");
    assertThat(errors(s))
        .containsExactly(
            "spec.clusterIP: Invalid value: \"10.111.255.255\": provided IP is not in "
                + "the valid range. The range of valid IPs is 10.96.0.0/12");
  }

  @Test
  void clusterIpMayNotBeTheMeshAddress() {
    Service.Builder s = web();
    s.getSpecBuilder().setClusterIp("10.96.0.1");
    assertThat(errors(s))
        .containsExactly(
            "spec.clusterIP: Invalid value: \"10.96.0.1\": provided IP is reserved for the mesh");
  }

  @Test
  void requestedClusterIpInRangeIsAccepted() {
    Service.Builder s = web();
    s.getSpecBuilder().setClusterIp("10.96.0.10");
    assertThat(errors(s)).isEmpty();
  }

  @Test
  void headlessServicesCannotBeNodePorts() {
    Service.Builder s = nodePort(0);
    s.getSpecBuilder().setClusterIp("None");
    assertThat(errors(s))
        .containsExactly(
            "spec.clusterIP: Invalid value: \"None\": may not be set to 'None' for NodePort services");
  }

  @Test
  void headlessServicesCannotBeLoadBalancers() {
    Service.Builder s = loadBalancer();
    s.getSpecBuilder().setClusterIp("None");
    assertThat(errors(s))
        .containsExactly(
            "spec.clusterIP: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services");
  }

  @Test
  void sessionAffinityIsNoneOrClientIp() {
    Service.Builder s = web();
    s.getSpecBuilder().setSessionAffinity("Cookie");
    assertThat(errors(s))
        .containsExactly(
            "spec.sessionAffinity: Unsupported value: \"Cookie\": supported values: \"ClientIP\", \"None\"");
  }

  @Test
  void clientIpTimeoutDefaultsTo10800() {
    Service.Builder s = web();
    s.getSpecBuilder().setSessionAffinity("ClientIP");
    Service defaulted = ServiceDefaults.apply(s.build());
    assertThat(defaulted.getSpec().getSessionAffinityConfig().getClientIp().getTimeoutSeconds())
        .isEqualTo(10800);
    assertThat(errors(s)).isEmpty();
  }

  @Test
  void clientIpTimeoutIsAtMostOneDay() {
    Service.Builder s = web();
    s.getSpecBuilder().setSessionAffinity("ClientIP").setSessionAffinityConfig(timeout(86401));
    assertThat(errors(s))
        .containsExactly(
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: "
                + "must be greater than 0 and less than or equal to 86400");
    s.getSpecBuilder().setSessionAffinityConfig(timeout(86400));
    assertThat(errors(s)).isEmpty();
  }

  @Test
  void clientIpTimeoutIsPositive() {
    Service.Builder s = web();
    s.getSpecBuilder().setSessionAffinity("ClientIP").setSessionAffinityConfig(timeout(-5));
    assertThat(errors(s))
        .containsExactly(
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: -5: "
                + "must be greater than 0 and less than or equal to 86400");
  }

  @Test
  void clientIpConfigIsForbiddenWithoutClientIpAffinity() {
    Service.Builder s = web();
    s.getSpecBuilder().setSessionAffinityConfig(timeout(60));
    assertThat(errors(s))
        .containsExactly(
            "spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None");
  }

  @Test
  void externalTrafficPolicyDefaultsToClusterForNodePortsOnly() {
    assertThat(ServiceDefaults.apply(nodePort(0).build()).getSpec().getExternalTrafficPolicy())
        .isEqualTo("Cluster");
    assertThat(ServiceDefaults.apply(web().build()).getSpec().getExternalTrafficPolicy()).isEmpty();
  }

  @Test
  void externalTrafficPolicyIsClusterOrLocal() {
    Service.Builder s = nodePort(0);
    s.getSpecBuilder().setExternalTrafficPolicy("Nearest");
    assertThat(errors(s))
        .containsExactly(
            "spec.externalTrafficPolicy: Unsupported value: \"Nearest\": supported values: \"Cluster\", \"Local\"");
  }

  @Test
  void externalTrafficPolicyOnlyForNodePortAndLoadBalancer() {
    Service.Builder s = web();
    s.getSpecBuilder().setExternalTrafficPolicy("Local");
    assertThat(errors(s))
        .containsExactly(
            "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services");
  }

  @Test
  void internalTrafficPolicyIsClusterOrLocal() {
    Service.Builder s = web();
    s.getSpecBuilder().setInternalTrafficPolicy("Zone");
    assertThat(errors(s))
        .containsExactly(
            "spec.internalTrafficPolicy: Unsupported value: \"Zone\": supported values: \"Cluster\", \"Local\"");
    assertThat(ServiceDefaults.apply(web().build()).getSpec().getInternalTrafficPolicy())
        .isEqualTo("Cluster");
  }

  @Test
  void healthCheckNodePortOnlyForLoadBalancerWithLocalPolicy() {
    Service.Builder s = loadBalancer();
    s.getSpecBuilder().setHealthCheckNodePort(31000);
    assertThat(errors(s))
        .containsExactly(
            "spec.healthCheckNodePort: Invalid value: 31000: may only be set when "
                + "`type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
    s.getSpecBuilder().setExternalTrafficPolicy("Local");
    assertThat(errors(s)).isEmpty();
  }

  @Test
  void healthCheckNodePortMustBeInTheNodePortRange() {
    Service.Builder s = loadBalancer();
    s.getSpecBuilder().setExternalTrafficPolicy("Local").setHealthCheckNodePort(10256);
    assertThat(errors(s))
        .containsExactly(
            "spec.healthCheckNodePort: Invalid value: 10256: provided port is not in "
                + "the valid range. The range of valid ports is 30000-32767");
  }

  @Test
  void healthCheckNodePortMayNotBeOneOfTheServicesTcpNodePorts() {
    Service.Builder s = loadBalancer();
    s.getSpecBuilder()
        .setExternalTrafficPolicy("Local")
        .setHealthCheckNodePort(30080)
        .setPorts(0, port("http", 80).setNodePort(30080));
    assertThat(errors(s)).containsExactly("spec.healthCheckNodePort: Duplicate value: 30080");
  }

  @Test
  void loadBalancerSourceRangesOnlyForLoadBalancers() {
    Service.Builder s = web();
    s.getSpecBuilder().addLoadBalancerSourceRanges("10.0.0.0/8");
    assertThat(errors(s))
        .containsExactly(
            "spec.loadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'");
  }

  @Test
  void loadBalancerSourceRangesAreIpv4Cidrs() {
    Service.Builder s = loadBalancer();
    s.getSpecBuilder()
        .addLoadBalancerSourceRanges(" 10.0.0.0/8 ")
        .addLoadBalancerSourceRanges("10.0.0.0/33");
    assertThat(errors(s))
        .containsExactly(
            "spec.loadBalancerSourceRanges[1]: Invalid value: \"10.0.0.0/33\": "
                + "must be a valid IPv4 CIDR value, (e.g. 10.9.8.0/24)");
  }

  @Test
  void loadBalancerSourceRangesAreCanonical() {
    Service.Builder s = loadBalancer();
    s.getSpecBuilder().addLoadBalancerSourceRanges("192.168.1.5/24");
    assertThat(errors(s))
        .containsExactly(
            "spec.loadBalancerSourceRanges[0]: Invalid value: \"192.168.1.5/24\": "
                + "must be in canonical form (\"192.168.1.0/24\")");
  }

  private static final String ANNOTATION_PATH =
      "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]";

  private static Service.Builder withRangesAnnotation(Service.Builder s, String value) {
    s.getMetadataBuilder().putAnnotations(Annotations.LOAD_BALANCER_SOURCE_RANGES, value);
    return s;
  }

  @Test
  void sourceRangesAnnotationIsCheckedLikeTheFieldUnderItsOwnPath() {
    assertThat(errors(withRangesAnnotation(loadBalancer(), " 10.0.0.0/8 , 192.168.2.0/24")))
        .isEmpty();
    assertThat(errors(withRangesAnnotation(loadBalancer(), "  "))).isEmpty();
    assertThat(
            errors(withRangesAnnotation(loadBalancer(), "10.0.0.0/8, 10.0.0.1, 192.168.1.5/24,")))
        .containsExactly(
            ANNOTATION_PATH
                + ": Invalid value: \"10.0.0.1\": must be a valid IPv4 CIDR value, (e.g. 10.9.8.0/24)",
            ANNOTATION_PATH
                + ": Invalid value: \"192.168.1.5/24\": must be in canonical form (\"192.168.1.0/24\")",
            ANNOTATION_PATH
                + ": Invalid value: \"\": must be a valid IPv4 CIDR value, (e.g. 10.9.8.0/24)");
  }

  @Test
  void sourceRangesAnnotationOnlyForLoadBalancers() {
    assertThat(errors(withRangesAnnotation(web(), "10.0.0.0/8")))
        .containsExactly(
            ANNOTATION_PATH + ": Forbidden: may only be used when `type` is 'LoadBalancer'");
  }

  @Test
  void sourceRangesAnnotationIsIgnoredWhenTheFieldIsSet() {
    Service.Builder s = withRangesAnnotation(loadBalancer(), "not a range");
    s.getSpecBuilder().addLoadBalancerSourceRanges("10.0.0.0/8");
    assertThat(errors(s)).isEmpty();
  }

  @Test
  void loadBalancerIpOnlyForLoadBalancers() {
    Service.Builder s = nodePort(0);
    s.getSpecBuilder().setLoadBalancerIp("127.0.2.7");
    assertThat(errors(s))
        .containsExactly(
            "spec.loadBalancerIP: Forbidden: may only be used when `type` is 'LoadBalancer'");
  }

  @Test
  void loadBalancerIpIsAnIpv4Address() {
    Service.Builder s = loadBalancer();
    s.getSpecBuilder().setLoadBalancerIp("fd00::7");
    assertThat(errors(s))
        .containsExactly(
            "spec.loadBalancerIP: Invalid value: \"fd00::7\": must be a valid IPv4 address");
  }

  @Test
  void loadBalancerIpMustBeInAPool() {
    Service.Builder s = loadBalancer();
    s.getSpecBuilder().setLoadBalancerIp("127.0.3.7");
    assertThat(errors(s))
        .containsExactly(
            "spec.loadBalancerIP: Invalid value: \"127.0.3.7\": provided IP is not in "
                + "the valid range. The range of valid IPs is 127.0.2.0/24");
    s.getSpecBuilder().setLoadBalancerIp("127.0.2.7");
    assertThat(errors(s)).isEmpty();
  }

  @Test
  void loadBalancerIpWithoutPoolsSaysSo() {
    ServiceValidator noPools =
        new ServiceValidator(
            ClusterIpRange.parse("10.96.0.0/12"), PortRange.DEFAULT, LbIpPools.none());
    Service.Builder s = loadBalancer();
    s.getSpecBuilder().setLoadBalancerIp("127.0.2.7");
    assertThat(noPools.validate(ServiceDefaults.apply(s.build())))
        .extracting(FieldError::toString)
        .containsExactly(
            "spec.loadBalancerIP: Invalid value: \"127.0.2.7\": provided IP is not in the valid range. "
                + "No LoadBalancer IP pools are configured");
  }

  @Test
  void mixedProtocolLoadBalancersAreAllowed() {
    Service.Builder s = loadBalancer();
    s.getSpecBuilder().addPorts(port("dns", 53).setProtocol("UDP"));
    assertThat(errors(s)).isEmpty();
  }
}
