package dev.switchboard.agent.proxier;

import static dev.switchboard.agent.Protos.endpoint;
import static dev.switchboard.agent.Protos.endpointPort;
import static dev.switchboard.agent.Protos.endpoints;
import static dev.switchboard.agent.Protos.port;
import static dev.switchboard.agent.Protos.service;
import static dev.switchboard.agent.Protos.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.IpLiterals;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.SessionAffinity;
import dev.switchboard.v1.Annotations;
import dev.switchboard.v1.ClientIPConfig;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.LoadBalancerStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceStatus;
import dev.switchboard.v1.SessionAffinityConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServicePlannerTest {
  private static final ServiceName WEB = new ServiceName("default", "web");
  private final InetAddress node = ip("127.0.1.1");
  private final ServicePlanner planner = new ServicePlanner("n1", node);

  private final Endpoints eps =
      endpoints(
          "web",
          endpoint(
              "127.0.10.1",
              "n1",
              true,
              true,
              false,
              endpointPort("http", 8080),
              endpointPort("dns", 5353)),
          endpoint("127.0.10.2", "n2", true, true, false, endpointPort("http", 8081)),
          endpoint("127.0.10.3", "n2", false, true, true, endpointPort("http", 8082)));

  @Test
  void nodePortServiceGetsClusterIpAndNodePortListenersWithEndpointsByPortName() {
    Service web =
        service(
            "web",
            spec("NodePort", "127.96.0.10")
                .addPorts(port("http", "TCP", 80, 30080))
                .addPorts(port("dns", "UDP", 53, 30053)));
    ServicePlan plan = planner.plan(WEB, new ServiceView(web, eps));
    assertThat(plan.errors()).isEmpty();
    assertThat(plan.healthCheck()).isEmpty();
    assertThat(plan.listeners())
        .extracting(ListenerPlan::key)
        .containsExactly(
            new ListenerKey(Protocol.TCP, ip("127.96.0.10"), 80),
            new ListenerKey(Protocol.TCP, node, 30080),
            new ListenerKey(Protocol.UDP, ip("127.96.0.10"), 53),
            new ListenerKey(Protocol.UDP, node, 30053));
    ListenerPlan http = plan.listeners().get(1);
    assertThat(http.kind()).isEqualTo(ListenerPlan.Kind.NODE_PORT);
    assertThat(http.reusePort()).isFalse();
    assertThat(plan.listeners().get(0).reusePort()).isTrue();
    assertThat(http.describe())
        .isEqualTo("service default/web port http (NodePort TCP 127.0.1.1:30080)");
    // Conditions are passed as they are: the terminating one is the forwarder's fallback.
    assertThat(http.target().endpoints())
        .containsExactly(
            new Endpoint(ip("127.0.10.1"), 8080, true, true, false, Optional.of("n1")),
            new Endpoint(ip("127.0.10.2"), 8081, true, true, false, Optional.of("n2")),
            new Endpoint(ip("127.0.10.3"), 8082, false, true, true, Optional.of("n2")));
    assertThat(plan.listeners().get(3).target().endpoints())
        .containsExactly(
            new Endpoint(ip("127.0.10.1"), 5353, true, true, false, Optional.of("n1")));
    assertThat(http.target().affinity()).isEqualTo(SessionAffinity.NONE);
  }

  @Test
  void trafficPoliciesLocalKeepOnlyThisNodesEndpointsForTheirKindOfTraffic() {
    Service ext =
        service(
            "web",
            spec("NodePort", "127.96.0.10")
                .setExternalTrafficPolicy("Local")
                .addPorts(port("http", "TCP", 80, 30080)));
    List<ListenerPlan> l = planner.plan(WEB, new ServiceView(ext, eps)).listeners();
    assertThat(l.get(0).target().endpoints()).hasSize(3); // ClusterIP: all
    assertThat(l.get(1).target().endpoints()).extracting(Endpoint::port).containsExactly(8080);

    Service internal =
        service(
            "web",
            spec("NodePort", "127.96.0.10")
                .setInternalTrafficPolicy("Local")
                .addPorts(port("http", "TCP", 80, 30080)));
    l = planner.plan(WEB, new ServiceView(internal, eps)).listeners();
    assertThat(l.get(0).target().endpoints()).extracting(Endpoint::port).containsExactly(8080);
    assertThat(l.get(1).target().endpoints()).hasSize(3);
  }

  @Test
  void headlessServicesGetNoListenerAndClusterIpServicesNoNodePort() {
    Service headless =
        service("web", spec("ClusterIP", "None").addPorts(port("http", "TCP", 80, 0)));
    assertThat(planner.plan(WEB, new ServiceView(headless, eps)).listeners()).isEmpty();
    Service clusterIp =
        service("web", spec("ClusterIP", "127.96.0.10").addPorts(port("http", "TCP", 80, 30080)));
    assertThat(planner.plan(WEB, new ServiceView(clusterIp, eps)).listeners())
        .extracting(p -> p.kind())
        .containsExactly(ListenerPlan.Kind.CLUSTER_IP);
    assertThat(planner.plan(WEB, new ServiceView(null, eps))).isEqualTo(ServicePlan.NONE);
  }

  @Test
  void clientIpAffinityCarriesItsTimeout() {
    Service sticky =
        service(
            "web",
            spec("ClusterIP", "127.96.0.10")
                .setSessionAffinity("ClientIP")
                .setSessionAffinityConfig(
                    SessionAffinityConfig.newBuilder()
                        .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(60)))
                .addPorts(port("http", "TCP", 80, 0)));
    assertThat(
            planner.plan(WEB, new ServiceView(sticky, eps)).listeners().get(0).target().affinity())
        .isEqualTo(SessionAffinity.clientIp(Duration.ofSeconds(60)));
  }

  @Test
  void theProxyProtocolAnnotationMakesTcpNodePortsAcceptPROXYHeaders() {
    Service lb =
        service(
            "web",
            spec("LoadBalancer", "127.96.0.10")
                .addPorts(port("http", "TCP", 80, 30080))
                .addPorts(port("dns", "UDP", 53, 30053)));
    Service annotated =
        lb.toBuilder()
            .setMetadata(
                lb.getMetadata().toBuilder().putAnnotations(Annotations.PROXY_PROTOCOL, "v2"))
            .build();
    // Only the TCP NodePort: cloud-lb sends headers to NodePorts, and only over TCP.
    assertThat(planner.plan(WEB, new ServiceView(annotated, eps)).listeners())
        .extracting(l -> l.kind() + " " + l.key().protocol() + " " + l.acceptProxyHeader())
        .containsExactly(
            "ClusterIP TCP false",
            "NodePort TCP true",
            "ClusterIP UDP false",
            "NodePort UDP false");
    assertThat(planner.plan(WEB, new ServiceView(lb, eps)).listeners())
        .noneMatch(ListenerPlan::acceptProxyHeader);
    // Turning it on changes the socket's options: the listener is opened anew.
    assertThat(
            planner
                .plan(WEB, new ServiceView(annotated, eps))
                .listeners()
                .get(1)
                .sameSocket(planner.plan(WEB, new ServiceView(lb, eps)).listeners().get(1)))
        .isFalse();
  }

  @Test
  void loadBalancerWithLocalPolicyGetsAHealthCheckCountingLocalReadyEndpoints() {
    Service lb =
        service(
            "web",
            spec("LoadBalancer", "127.96.0.10")
                .setExternalTrafficPolicy("Local")
                .setHealthCheckNodePort(31000)
                .addPorts(port("http", "TCP", 80, 30080)));
    assertThat(planner.plan(WEB, new ServiceView(lb, eps)).healthCheck())
        .contains(new HealthCheckPlan(WEB, 31000, 1));
    assertThat(new ServicePlanner("n2", node).plan(WEB, new ServiceView(lb, eps)).healthCheck())
        .contains(new HealthCheckPlan(WEB, 31000, 1)); // the terminating one does not count
    assertThat(new ServicePlanner("n3", node).plan(WEB, new ServiceView(lb, eps)).healthCheck())
        .contains(new HealthCheckPlan(WEB, 31000, 0));
  }

  @Test
  void loadBalancerIngressIpsBecomeListenersAtTheServicePortWithTheExternalPolicy() {
    Service lb =
        service(
                "web",
                spec("LoadBalancer", "127.96.0.10")
                    .setExternalTrafficPolicy("Local")
                    .addPorts(port("http", "TCP", 80, 30080)))
            .toBuilder()
            .setStatus(
                ServiceStatus.newBuilder()
                    .setLoadBalancer(
                        LoadBalancerStatus.newBuilder()
                            .addIngress(LoadBalancerIngress.newBuilder().setIp("127.0.2.7"))
                            .addIngress(
                                LoadBalancerIngress.newBuilder().setHostname("lb.example.com"))
                            .addIngress(LoadBalancerIngress.newBuilder().setIp("lb-ip"))))
            .build();
    ServicePlan plan = planner.plan(WEB, new ServiceView(lb, eps));
    assertThat(plan.listeners())
        .extracting(l -> l.kind() + " " + l.key() + " local=" + l.localOnly())
        .containsExactly(
            "ClusterIP TCP 127.96.0.10:80 local=false",
            "LoadBalancer TCP 127.0.2.7:80 local=true",
            "NodePort TCP 127.0.1.1:30080 local=true");
    // Like the NodePort, only this node's endpoints (Local).
    assertThat(plan.listeners().get(1).target().endpoints())
        .extracting(e -> e.ip().getHostAddress())
        .containsExactly("127.0.10.1");
    assertThat(plan.errors())
        .containsExactly(
            "service default/web: status.loadBalancer.ingress ip lb-ip is not an IP address; skipped");
    // A NodePort service's stale status is not used.
    Service np = lb.toBuilder().setSpec(lb.getSpec().toBuilder().setType("NodePort")).build();
    assertThat(planner.plan(WEB, new ServiceView(np, eps)).listeners())
        .noneMatch(l -> l.kind() == ListenerPlan.Kind.LOAD_BALANCER);
  }

  @Test
  void whatCannotBeUnderstoodIsReportedNotGuessed() {
    Service odd =
        service(
            "web",
            spec("NodePort", "not-an-ip")
                .addPorts(port("http", "SCTP", 80, 30080))
                .addPorts(port("dns", "UDP", 53, 30053)));
    Endpoints named =
        endpoints(
            "web", endpoint("db.example.com", "n1", true, true, false, endpointPort("dns", 53)));
    ServicePlan plan = planner.plan(WEB, new ServiceView(odd, named));
    assertThat(plan.errors())
        .containsExactly(
            "service default/web: spec.clusterIP not-an-ip is not an IP address; no ClusterIP listeners",
            "service default/web port http: protocol SCTP is not supported (expected: TCP or UDP)",
            "service default/web: endpoint address db.example.com is not an IP address; skipped");
    assertThat(plan.listeners())
        .extracting(ListenerPlan::key)
        .containsExactly(new ListenerKey(Protocol.UDP, node, 30053));
  }

  private static InetAddress ip(String s) {
    return IpLiterals.parse(s).orElseThrow();
  }
}
