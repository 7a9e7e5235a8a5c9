package dev.switchboard.controlplane.it;

import static dev.switchboard.controlplane.it.Cluster.pod;
import static dev.switchboard.controlplane.it.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.store.EtcdStore;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.Annotations;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Probe;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.SetEndpointsRequest;
import dev.switchboard.v1.SetPodConditionsRequest;
import dev.switchboard.v1.TCPSocketAction;
import dev.switchboard.v1.WatchEvent;
import dev.switchboard.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Admin API as a user meets it: refusals that name field, value and rule; endpoints; watch. */
class AdminApiTest {
  private static EtcdProcess etcd;
  private static Cluster cluster;
  private static ControlPlane cp;
  private static AdminGrpc.AdminBlockingStub admin;
  private static EtcdStore store;

  @BeforeAll
  static void start() {
    etcd = EtcdProcess.start();
    cluster = new Cluster(etcd);
    cp = cluster.start();
    admin = cluster.admin(cp);
    store = cluster.store();
  }

  @AfterAll
  static void stop() {
    store.close();
    cluster.close();
    etcd.close();
  }

  static Stream<Arguments> invalidServices() {
    return Stream.of(
        invalid("metadata.name: Invalid value: \"Web_1\"", s -> named(s, "Web_1")),
        invalid(
            "spec.type: Unsupported value: \"External\"", s -> spec(s, b -> b.setType("External"))),
        invalid(
            "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            s -> spec(s, b -> b.setPorts(0, b.getPorts(0).toBuilder().setPort(70000)))),
        invalid(
            "spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range."
                + " The range of valid ports is 30000-32767",
            s ->
                spec(
                    s,
                    b ->
                        b.setType("NodePort")
                            .setPorts(0, b.getPorts(0).toBuilder().setNodePort(29999)))),
        invalid(
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
            s -> spec(s, b -> b.setPorts(0, b.getPorts(0).toBuilder().setNodePort(30001)))),
        invalid(
            "spec.ports[1].name: Duplicate value: \"http\"",
            s ->
                spec(
                    s,
                    b ->
                        b.setPorts(0, b.getPorts(0).toBuilder().setName("http"))
                            .addPorts(ServicePort.newBuilder().setName("http").setPort(81)))),
        invalid(
            "spec.ports[0].name: Required value",
            s -> spec(s, b -> b.addPorts(ServicePort.newBuilder().setName("b").setPort(81)))),
        invalid(
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401",
            s ->
                spec(
                    s,
                    b ->
                        b.setSessionAffinity("ClientIP")
                            .setSessionAffinityConfig(
                                dev.switchboard.v1.SessionAffinityConfig.newBuilder()
                                    .setClientIp(
                                        dev.switchboard.v1.ClientIPConfig.newBuilder()
                                            .setTimeoutSeconds(86401))))),
        invalid(
            "spec.loadBalancerSourceRanges[0]: Invalid value: \"10.0.0.0/33\"",
            s ->
                spec(s, b -> b.setType("LoadBalancer").addLoadBalancerSourceRanges("10.0.0.0/33"))),
        invalid(
            "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Invalid value:"
                + " \"10.0.0.0/33\": must be a valid IPv4 CIDR value, (e.g. 10.9.8.0/24)",
            s ->
                spec(s, b -> b.setType("LoadBalancer")).toBuilder()
                    .setMetadata(
                        s.getMetadata().toBuilder()
                            .putAnnotations(
                                Annotations.LOAD_BALANCER_SOURCE_RANGES,
                                "127.0.30.0/24, 10.0.0.0/33"))
                    .build()),
        invalid(
            "spec.clusterIP: Invalid value: \"10.0.0.1\": provided IP is not in the valid range."
                + " The range of valid IPs is 127.96.0.0/16",
            s -> spec(s, b -> b.setClusterIp("10.0.0.1"))),
        invalid(
            "metadata.namespace: Invalid value: \"Prod\"",
            s ->
                s.toBuilder()
                    .setMetadata(s.getMetadata().toBuilder().setNamespace("Prod"))
                    .build()),
        invalid(
            "metadata.labels: Invalid value: \"-bad\"",
            s ->
                s.toBuilder()
                    .setMetadata(s.getMetadata().toBuilder().putLabels("app", "-bad"))
                    .build()));
  }

  @ParameterizedTest
  @MethodSource("invalidServices")
  void invalidServicesAreRefusedNamingFieldValueAndRuleAndChangeNothing(
      String message, UnaryOperator<Service> breakIt) {
    long before = store.currentRevision();
    Service bad = breakIt.apply(service("web", "ClusterIP", 80));
    assertThatThrownBy(
            () -> admin.applyService(ApplyServiceRequest.newBuilder().setService(bad).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains(message);
            });
    assertThat(store.currentRevision()).isEqualTo(before);
  }

  @Test
  void endpointsFollowPodsWithNamedTargetPortsAndReadiness() {
    Service svc =
        spec(
            service("api", "ClusterIP", 80),
            b ->
                b.setPorts(
                    0,
                    b.getPorts(0).toBuilder()
                        .setTargetPort(IntOrString.newBuilder().setStrValue("http"))));
    admin.applyService(ApplyServiceRequest.newBuilder().setService(svc).build());
    Pod p1 = pod("api-1", "api", "127.0.10.1", "n1", true);
    Pod p2 = pod("api-2", "api", "127.0.10.2", "n2", false);
    // api-2 serves "http" on another number: each pod resolves the name itself.
    p2 =
        p2.toBuilder()
            .setSpec(
                p2.getSpec().toBuilder()
                    .setContainers(
                        0,
                        p2.getSpec().getContainers(0).toBuilder()
                            .setPorts(
                                0,
                                ContainerPort.newBuilder().setName("http").setContainerPort(9090))))
            .build();
    admin.applyPod(ApplyPodRequest.newBuilder().setPod(p1).build());
    admin.applyPod(ApplyPodRequest.newBuilder().setPod(p2).build());

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              Endpoints e =
                  admin.getEndpoints(
                      GetRequest.newBuilder().setNamespace("default").setName("api").build());
              assertThat(e.getEndpointsList()).hasSize(2);
              assertThat(e.getEndpoints(0).getPorts(0).getPort()).isEqualTo(8080);
              assertThat(e.getEndpoints(0).getConditions().getReady()).isTrue();
              assertThat(e.getEndpoints(1).getPorts(0).getPort()).isEqualTo(9090);
              assertThat(e.getEndpoints(1).getConditions().getReady()).isFalse();
            });
    admin.setPodConditions(
        SetPodConditionsRequest.newBuilder()
            .setNamespace("default")
            .setName("api-1")
            .setTerminating(true)
            .build());
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              Endpoint e =
                  admin
                      .getEndpoints(
                          GetRequest.newBuilder().setNamespace("default").setName("api").build())
                      .getEndpoints(0);
              assertThat(e.getConditions().getTerminating()).isTrue();
              assertThat(e.getConditions().getReady()).isFalse();
              assertThat(e.getConditions().getServing()).isTrue();
            });
  }

  /** As the kubelet owns Ready in Kubernetes: a probed pod is ready when its node says so. */
  @Test
  void aPodWithAReadinessProbeStartsNotReadyAndKeepsWhatItsNodeReported() {
    Pod probed = pod("probed-1", "probed", "127.0.10.9", "n1", true);
    probed =
        probed.toBuilder()
            .setSpec(
                probed.getSpec().toBuilder()
                    .setContainers(
                        0,
                        probed.getSpec().getContainers(0).toBuilder()
                            .setReadinessProbe(
                                Probe.newBuilder()
                                    .setTcpSocket(
                                        TCPSocketAction.newBuilder()
                                            .setPort(
                                                IntOrString.newBuilder().setStrValue("http"))))))
            .build();
    Pod created = admin.applyPod(ApplyPodRequest.newBuilder().setPod(probed).build());
    assertThat(created.getStatus().getReady()).as("status.ready: true as written").isFalse();
    assertThat(created.getSpec().getContainers(0).getReadinessProbe().getPeriodSeconds())
        .isEqualTo(10);

    admin.setPodConditions(
        SetPodConditionsRequest.newBuilder()
            .setNamespace("default")
            .setName("probed-1")
            .setReady(true)
            .build());
    Pod reapplied =
        admin.applyPod(
            ApplyPodRequest.newBuilder()
                .setPod(
                    probed.toBuilder().setStatus(probed.getStatus().toBuilder().setReady(false)))
                .build());
    assertThat(reapplied.getStatus().getReady()).as("what the node reported stays").isTrue();
    assertThat(
            admin
                .getPod(GetRequest.newBuilder().setNamespace("default").setName("probed-1").build())
                .getSpec()
                .getContainers(0)
                .getReadinessProbe()
                .getTcpSocket()
                .getPort()
                .getStrValue())
        .isEqualTo("http");
  }

  @Test
  void selectorLessServicesTakeExplicitEndpointsAndSelectorServicesRefuseThem() {
    Service external =
        service("db", "ClusterIP", 5432).toBuilder()
            .setSpec(service("db", "ClusterIP", 5432).getSpec().toBuilder().clearSelector())
            .build();
    admin.applyService(ApplyServiceRequest.newBuilder().setService(external).build());
    admin.setEndpoints(
        SetEndpointsRequest.newBuilder()
            .setNamespace("default")
            .setService("db")
            .addEndpoints(
                Endpoint.newBuilder()
                    .setAddress("127.0.10.50")
                    .addPorts(EndpointPort.newBuilder().setPort(5432)))
            .build());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                admin
                        .getEndpoints(
                            GetRequest.newBuilder().setNamespace("default").setName("db").build())
                        .getEndpointsCount()
                    == 1);

    admin.applyService(
        ApplyServiceRequest.newBuilder().setService(service("selected", "ClusterIP", 80)).build());
    assertThatThrownBy(
            () ->
                admin.setEndpoints(
                    SetEndpointsRequest.newBuilder()
                        .setNamespace("default")
                        .setService("selected")
                        .addEndpoints(
                            Endpoint.newBuilder()
                                .setAddress("127.0.10.51")
                                .addPorts(EndpointPort.newBuilder().setPort(80)))
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    assertThatThrownBy(
            () ->
                admin.setEndpoints(
                    SetEndpointsRequest.newBuilder()
                        .setNamespace("default")
                        .setService("db")
                        .addEndpoints(
                            Endpoint.newBuilder()
                                .setAddress("not-an-ip")
                                .addPorts(EndpointPort.newBuilder().setPort(80)))
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("not-an-ip");
            });
  }

  @Test
  void listFiltersByNamespaceAndLabelSelectorAndBadSelectorsAreRefused() {
    Service a = service("lbl-a", "ClusterIP", 80);
    a =
        a.toBuilder()
            .setMetadata(
                a.getMetadata().toBuilder().setNamespace("team-a").putLabels("tier", "web"))
            .build();
    Service b = service("lbl-b", "ClusterIP", 80);
    b =
        b.toBuilder()
            .setMetadata(b.getMetadata().toBuilder().setNamespace("team-a").putLabels("tier", "db"))
            .build();
    admin.applyService(ApplyServiceRequest.newBuilder().setService(a).build());
    admin.applyService(ApplyServiceRequest.newBuilder().setService(b).build());
    List<Service> web =
        admin
            .listServices(
                ListRequest.newBuilder()
                    .setNamespace("team-a")
                    .setLabelSelector("tier in (web, cache)")
                    .build())
            .getItemsList();
    assertThat(web).extracting(s -> s.getMetadata().getName()).containsExactly("lbl-a");
    assertThat(
            admin
                .listServices(
                    ListRequest.newBuilder()
                        .setNamespace("team-a")
                        .setLabelSelector("tier!=web")
                        .build())
                .getItemsList())
        .extracting(s -> s.getMetadata().getName())
        .containsExactly("lbl-b");
    assertThatThrownBy(
            () ->
                admin.listServices(
                    ListRequest.newBuilder().setLabelSelector("tier in web").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void watchStreamsCurrentObjectsThenChanges() throws Exception {
    List<WatchEvent> events = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    AdminGrpc.newStub(cluster.channel(cp))
        .watch(
            WatchRequest.newBuilder().setKind(Kind.SERVICE).setNamespace("watched").build(),
            new StreamObserver<>() {
              @Override
              public void onNext(WatchEvent value) {
                events.add(value);
              }

              @Override
              public void onError(Throwable t) {
                done.countDown();
              }

              @Override
              public void onCompleted() {
                done.countDown();
              }
            });
    // The bookmark says the watch is registered: every change from here on is streamed.
    await().atMost(Duration.ofSeconds(10)).until(() -> !events.isEmpty());
    assertThat(events.get(0).getType()).isEqualTo(WatchEvent.Type.BOOKMARK);
    events.clear();
    Service s = service("w", "ClusterIP", 80);
    s = s.toBuilder().setMetadata(s.getMetadata().toBuilder().setNamespace("watched")).build();
    Service created = admin.applyService(ApplyServiceRequest.newBuilder().setService(s).build());
    admin.applyService(
        ApplyServiceRequest.newBuilder()
            .setService(
                created.toBuilder()
                    .setMetadata(created.getMetadata().toBuilder().putLabels("v", "2")))
            .build());
    admin.deleteService(
        dev.switchboard.v1.DeleteRequest.newBuilder().setNamespace("watched").setName("w").build());
    await().atMost(Duration.ofSeconds(10)).until(() -> events.size() >= 3);
    assertThat(events)
        .extracting(WatchEvent::getType)
        .containsExactly(WatchEvent.Type.ADDED, WatchEvent.Type.MODIFIED, WatchEvent.Type.DELETED);
    assertThat(done.getCount()).isEqualTo(1);
  }

  @Test
  void statusIngressIsForLoadBalancersOnlyAndGoesAwayWithTheType() {
    Service lb =
        admin.applyService(
            ApplyServiceRequest.newBuilder()
                .setService(service("edge", "LoadBalancer", 80))
                .build());
    dev.switchboard.v1.ServiceStatus ingress =
        dev.switchboard.v1.ServiceStatus.newBuilder()
            .setLoadBalancer(
                dev.switchboard.v1.LoadBalancerStatus.newBuilder()
                    .addIngress(
                        dev.switchboard.v1.LoadBalancerIngress.newBuilder()
                            .setIp(lb.getSpec().getLoadBalancerIp())))
            .build();
    Service withStatus =
        admin.updateServiceStatus(
            dev.switchboard.v1.UpdateServiceStatusRequest.newBuilder()
                .setNamespace("default")
                .setName("edge")
                .setStatus(ingress)
                .build());
    assertThat(withStatus.getStatus()).isEqualTo(ingress);
    assertThat(withStatus.getSpec()).isEqualTo(lb.getSpec());

    Service plain =
        admin.applyService(
            ApplyServiceRequest.newBuilder().setService(service("edge", "ClusterIP", 80)).build());
    assertThat(plain.getStatus().getLoadBalancer().getIngressList()).isEmpty();
    long before = store.currentRevision();
    assertThatThrownBy(
            () ->
                admin.updateServiceStatus(
                    dev.switchboard.v1.UpdateServiceStatusRequest.newBuilder()
                        .setNamespace("default")
                        .setName("edge")
                        .setStatus(ingress)
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("status.loadBalancer.ingress");
            });
    assertThat(store.currentRevision()).isEqualTo(before);
  }

  @Test
  void servesHealthCheckingAndReflectionOnTheSamePort() throws Exception {
    HealthCheckResponse health =
        HealthGrpc.newBlockingStub(cluster.channel(cp))
            .check(HealthCheckRequest.newBuilder().setService("switchboard.v1.Admin").build());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

    List<String> services = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(cluster.channel(cp))
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse value) {
                    value
                        .getListServicesResponse()
                        .getServiceList()
                        .forEach(s -> services.add(s.getName()));
                    done.countDown();
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.countDown();
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    requests.onCompleted();
    assertThat(services)
        .contains("switchboard.v1.Admin", "switchboard.v1.Discovery", "grpc.health.v1.Health");
  }

  private static Arguments invalid(String message, UnaryOperator<Service> breakIt) {
    return Arguments.of(message, breakIt);
  }

  private static Service named(Service s, String name) {
    return s.toBuilder().setMetadata(s.getMetadata().toBuilder().setName(name)).build();
  }

  private static Service spec(
      Service s, java.util.function.Consumer<dev.switchboard.v1.ServiceSpec.Builder> change) {
    dev.switchboard.v1.ServiceSpec.Builder b = s.getSpec().toBuilder();
    change.accept(b);
    return s.toBuilder().setSpec(b).build();
  }
}
