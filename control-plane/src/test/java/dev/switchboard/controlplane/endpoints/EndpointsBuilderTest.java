package dev.switchboard.controlplane.endpoints;

import static dev.switchboard.controlplane.endpoints.Fixtures.NS;
import static dev.switchboard.controlplane.endpoints.Fixtures.containerPort;
import static dev.switchboard.controlplane.endpoints.Fixtures.namedPort;
import static dev.switchboard.controlplane.endpoints.Fixtures.pod;
import static dev.switchboard.controlplane.endpoints.Fixtures.port;
import static dev.switchboard.controlplane.endpoints.Fixtures.service;
import static dev.switchboard.controlplane.endpoints.Fixtures.withTerminating;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.Container;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointConditions;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EndpointsBuilderTest {

  private static final Map<String, String> WEB = Map.of("app", "web");

  private static Endpoints build(Service service, Pod... pods) {
    return EndpointsBuilder.build(service, List.of(pods)).orElseThrow();
  }

  private static EndpointPort endpointPort(String name, int port, String protocol) {
    return EndpointPort.newBuilder().setName(name).setPort(port).setProtocol(protocol).build();
  }

  @Test
  void metadataNamesTheService() {
    Endpoints endpoints = build(service("web", WEB, port("", 80, 8080)));
    assertThat(endpoints.getMetadata().getNamespace()).isEqualTo(NS);
    assertThat(endpoints.getMetadata().getName()).isEqualTo("web");
    assertThat(endpoints.getEndpointsList()).isEmpty();
  }

  @Test
  void numericTargetPortIsUsedAsIs() {
    Endpoints endpoints =
        build(service("web", WEB, port("http", 80, 8080)), pod("web-1", "127.0.10.1", WEB, true));
    Endpoint endpoint = endpoints.getEndpoints(0);
    assertThat(endpoint.getAddress()).isEqualTo("127.0.10.1");
    assertThat(endpoint.getPodName()).isEqualTo("web-1");
    assertThat(endpoint.getNodeName()).isEqualTo("node-1");
    assertThat(endpoint.getPortsList()).containsExactly(endpointPort("http", 8080, "TCP"));
  }

  @Test
  void unsetTargetPortMeansTheServicePort() {
    Endpoints endpoints =
        build(service("web", WEB, port("", 80, 0)), pod("web-1", "127.0.10.1", WEB, true));
    assertThat(endpoints.getEndpoints(0).getPortsList())
        .containsExactly(endpointPort("", 80, "TCP"));
  }

  @Test
  void namedTargetPortResolvesPerPod() {
    Service web = service("web", WEB, namedPort("http", "TCP", 80, "http-alt"));
    Endpoints endpoints =
        build(
            web,
            pod("web-1", "127.0.10.1", WEB, true, containerPort("http-alt", 8080, "TCP")),
            pod("web-2", "127.0.10.2", WEB, true, containerPort("http-alt", 9090, "TCP")));
    assertThat(endpoints.getEndpointsList())
        .extracting(e -> e.getPorts(0).getPort())
        .containsExactly(8080, 9090);
  }

  @Test
  void namedTargetPortMustMatchTheProtocol() {
    Service dns = service("dns", WEB, namedPort("dns", "UDP", 53, "dns"));
    Pod tcpOnly = pod("dns-1", "127.0.10.1", WEB, true, containerPort("dns", 5353, "TCP"));
    Pod udp =
        pod(
            "dns-2",
            "127.0.10.2",
            WEB,
            true,
            containerPort("dns", 5353, "TCP"),
            containerPort("dns", 5354, "UDP"));
    Endpoints endpoints = build(dns, tcpOnly, udp);
    assertThat(endpoints.getEndpointsList())
        .extracting(Endpoint::getPodName)
        .containsExactly("dns-2");
    assertThat(endpoints.getEndpoints(0).getPortsList())
        .containsExactly(endpointPort("dns", 5354, "UDP"));
  }

  @Test
  void emptyProtocolMeansTcpOnBothSides() {
    Service web = service("web", WEB, namedPort("http", "", 80, "http"));
    Endpoints endpoints =
        build(
            web,
            pod("web-1", "127.0.10.1", WEB, true, containerPort("http", 8080, "")),
            pod("web-2", "127.0.10.2", WEB, true, containerPort("http", 8081, "TCP")));
    assertThat(endpoints.getEndpointsList())
        .extracting(e -> e.getPorts(0))
        .containsExactly(endpointPort("http", 8080, "TCP"), endpointPort("http", 8081, "TCP"));
  }

  @Test
  void namedPortIsSearchedInEveryContainer() {
    Pod pod = pod("web-1", "127.0.10.1", WEB, true);
    pod =
        pod.toBuilder()
            .setSpec(
                pod.getSpec().toBuilder()
                    .addContainers(
                        Container.newBuilder()
                            .setName("sidecar")
                            .addPorts(containerPort("metrics", 9100, "TCP"))))
            .build();
    Endpoints endpoints =
        build(service("web", WEB, namedPort("metrics", "TCP", 9100, "metrics")), pod);
    assertThat(endpoints.getEndpoints(0).getPortsList())
        .containsExactly(endpointPort("metrics", 9100, "TCP"));
  }

  @Test
  void podWithoutTheNamedPortLosesOnlyThatPort() {
    Service web =
        service(
            "web",
            WEB,
            namedPort("http", "TCP", 80, "http"),
            namedPort("admin", "TCP", 81, "admin"));
    Endpoints endpoints =
        build(
            web,
            pod(
                "web-1",
                "127.0.10.1",
                WEB,
                true,
                containerPort("http", 8080, "TCP"),
                containerPort("admin", 8081, "TCP")),
            pod("web-2", "127.0.10.2", WEB, true, containerPort("http", 8080, "TCP")));
    assertThat(endpoints.getEndpoints(0).getPortsList())
        .containsExactly(endpointPort("http", 8080, "TCP"), endpointPort("admin", 8081, "TCP"));
    assertThat(endpoints.getEndpoints(1).getPortsList())
        .containsExactly(endpointPort("http", 8080, "TCP"));
  }

  @Test
  void podServingNoneOfThePortsIsOmitted() {
    Service web = service("web", WEB, namedPort("http", "TCP", 80, "http"));
    Endpoints endpoints =
        build(web, pod("web-1", "127.0.10.1", WEB, true, containerPort("grpc", 9000, "TCP")));
    assertThat(endpoints.getEndpointsList()).isEmpty();
  }

  @Test
  void portlessHeadlessServiceListsEveryPod() {
    Service headless =
        service("db", WEB).toBuilder()
            .setSpec(service("db", WEB).getSpec().toBuilder().setClusterIp("None"))
            .build();
    Endpoints endpoints = build(headless, pod("db-0", "127.0.10.1", WEB, true));
    assertThat(endpoints.getEndpoints(0).getPodName()).isEqualTo("db-0");
    assertThat(endpoints.getEndpoints(0).getPortsList()).isEmpty();
  }

  @Test
  void serviceAndAppProtocolAreCopied() {
    ServicePort http = port("web", 80, 8080).toBuilder().setAppProtocol("http").build();
    Endpoints endpoints = build(service("web", WEB, http), pod("web-1", "127.0.10.1", WEB, true));
    assertThat(endpoints.getEndpoints(0).getPorts(0).getAppProtocol()).isEqualTo("http");
  }

  @Test
  void conditionsFollowReadinessAndTermination() {
    Service web = service("web", WEB, port("", 80, 8080));
    Pod ready = pod("a-ready", "127.0.10.1", WEB, true);
    Pod notReady = pod("b-not-ready", "127.0.10.2", WEB, false);
    Pod terminatingReady =
        withTerminating(pod("c-terminating-ready", "127.0.10.3", WEB, true), true);
    Pod terminatingNotReady =
        withTerminating(pod("d-terminating-not-ready", "127.0.10.4", WEB, false), true);
    Endpoints endpoints = build(web, ready, notReady, terminatingReady, terminatingNotReady);
    assertThat(endpoints.getEndpointsList())
        .extracting(Endpoint::getConditions)
        .containsExactly(
            conditions(true, true, false),
            conditions(false, false, false),
            conditions(false, true, true),
            conditions(false, false, true));
  }

  @Test
  void publishNotReadyAddressesMakesEveryPodReadyButStillReportsTermination() {
    Service web = service("web", WEB, port("", 80, 8080));
    web =
        web.toBuilder()
            .setSpec(web.getSpec().toBuilder().setPublishNotReadyAddresses(true))
            .build();
    Endpoints endpoints =
        build(
            web,
            pod("a", "127.0.10.1", WEB, false),
            withTerminating(pod("b", "127.0.10.2", WEB, false), true));
    assertThat(endpoints.getEndpointsList())
        .extracting(Endpoint::getConditions)
        .containsExactly(conditions(true, true, false), conditions(true, true, true));
  }

  @Test
  void onlyMatchingPodsWithAnIpInTheNamespaceAreListed() {
    Service web = service("web", Map.of("app", "web", "tier", "front"), port("", 80, 8080));
    Endpoints endpoints =
        build(
            web,
            pod("match", "127.0.10.1", Map.of("app", "web", "tier", "front", "extra", "x"), true),
            pod("partial", "127.0.10.2", WEB, true),
            pod("no-ip", "", Map.of("app", "web", "tier", "front"), true),
            pod("other", "other-ns", "127.0.10.3", Map.of("app", "web", "tier", "front"), true));
    assertThat(endpoints.getEndpointsList())
        .extracting(Endpoint::getPodName)
        .containsExactly("match");
  }

  @Test
  void selectorLessServiceHasNoDerivedEndpoints() {
    assertThat(
            EndpointsBuilder.build(
                service("db", Map.of(), port("", 5432, 0)),
                List.of(pod("db-0", "127.0.10.1", WEB, true))))
        .isEmpty();
  }

  @Test
  void outputIsDeterministicWhateverThePodOrder() {
    Service web =
        service("web", WEB, namedPort("http", "TCP", 80, "http"), port("admin", 81, 9000));
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      pods.add(
          pod(
              "web-" + i,
              "127.0.10." + i,
              WEB,
              i % 3 != 0,
              containerPort("http", 8000 + i, "TCP")));
    }
    byte[] first = EndpointsBuilder.build(web, pods).orElseThrow().toByteArray();
    Random random = new Random(7);
    for (int round = 0; round < 5; round++) {
      Collections.shuffle(pods, random);
      assertThat(EndpointsBuilder.build(web, pods).orElseThrow().toByteArray()).isEqualTo(first);
    }
    assertThat(EndpointsBuilder.build(web, pods).orElseThrow().getEndpointsList())
        .extracting(Endpoint::getPodName)
        .isSorted();
  }

  private static EndpointConditions conditions(
      boolean ready, boolean serving, boolean terminating) {
    return EndpointConditions.newBuilder()
        .setReady(ready)
        .setServing(serving)
        .setTerminating(terminating)
        .build();
  }
}
