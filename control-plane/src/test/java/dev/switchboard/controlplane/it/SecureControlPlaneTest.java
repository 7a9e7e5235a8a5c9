package dev.switchboard.controlplane.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.store.EtcdStore;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.tls.CertificateAuthority;
import dev.switchboard.tls.Identity;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.LoadBalancerStatus;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Role;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceStatus;
import dev.switchboard.v1.SetPodConditionsRequest;
import dev.switchboard.v1.UpdateServiceStatusRequest;
import dev.switchboard.v1.WatchEvent;
import dev.switchboard.v1.WatchRequest;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A control plane serving TLS on a real socket: Discovery needs a client certificate naming the
 * subscriber, the Admin API a bearer token whose role allows the call.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SecureControlPlaneTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path dir;
  static EtcdProcess etcd;
  static TestPki pki;
  static Cluster cluster;
  static ControlPlane cp;

  @BeforeAll
  static void start() {
    etcd = EtcdProcess.start();
    pki = new TestPki(dir);
    cluster = new Cluster(etcd).withSecurity(pki.security("control-plane"));
    cp = cluster.start();
    pki.node("node-1");
    pki.client("cloud-lb", Identity.loadBalancer("cloud-lb").subject());
  }

  @AfterAll
  static void stop() {
    cluster.close();
    pki.close();
    etcd.close();
  }

  private static AdminGrpc.AdminBlockingStub admin(String cert, String token) {
    return AdminGrpc.newBlockingStub(cluster.channel(cp, pki.credentials(cert, token)))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private static Status subscribe(ChannelCredentials credentials, String node, Role role) {
    TestSubscriber s =
        TestSubscriber.connect(cluster.channel(cp, credentials), node, role, 0, null, false);
    await().atMost(WAIT).until(() -> !s.errors.isEmpty() || !s.received.isEmpty());
    s.close();
    return s.errors.isEmpty() ? Status.OK : Status.fromThrowable(s.errors.get(0));
  }

  @Test
  void aNodeSubscribingAsItselfGetsASnapshot() {
    TestSubscriber s =
        TestSubscriber.connect(
            cluster.channel(cp, pki.credentials("node-1", null)),
            "node-1",
            Role.AGENT,
            0,
            null,
            false);
    await().atMost(WAIT).until(() -> !s.received.isEmpty() || !s.errors.isEmpty());
    assertThat(s.errors).isEmpty();
    assertThat(s.received.peek().getSnapshot()).isTrue();
    s.close();
  }

  @Test
  void aNodeCannotSubscribeAsAnotherNodeAndNothingIsRegistered() {
    Status status = subscribe(pki.credentials("node-1", null), "node-2", Role.AGENT);
    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription()).contains("hello.nodeName", "node-2", "system:node:node-1");
    assertThat(
            admin(null, TestPki.EDITOR).listNodes(ListRequest.getDefaultInstance()).getItemsList())
        .noneMatch(n -> n.getMetadata().getName().equals("node-2"));
  }

  @Test
  void withoutAClientCertificateDiscoveryIsUnauthenticated() {
    Status status = subscribe(pki.credentials(null, null), "node-1", Role.AGENT);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription()).contains("client certificate");
  }

  @Test
  void aNodeCertificateCannotTakeTheLoadBalancerRole() {
    Status status = subscribe(pki.credentials("node-1", null), "node-1", Role.LOAD_BALANCER);
    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription()).contains("hello.role", "load balancer certificate");
  }

  @Test
  void aLoadBalancerCertificateSubscribesAsALoadBalancer() {
    assertThat(
            subscribe(pki.credentials("cloud-lb", null), "cloud-lb", Role.LOAD_BALANCER).getCode())
        .isEqualTo(Status.Code.OK);
    assertThat(subscribe(pki.credentials("cloud-lb", null), "cloud-lb", Role.AGENT).getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void aCertificateFromAnotherCaIsRefusedInTheHandshake() throws Exception {
    CertificateAuthority other = CertificateAuthority.create("other-ca", TestPki.DAY);
    pki.write("impostor", other.issueClient(Identity.node("node-1").subject(), TestPki.DAY));
    Status status = subscribe(pki.credentials("impostor", null), "node-1", Role.AGENT);
    // The server rejects the certificate during the handshake: no call ever reaches a service.
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void adminWithoutTokenOrWithAWrongOneIsUnauthenticated() {
    assertThatThrownBy(() -> admin(null, null).listServices(ListRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
              assertThat(e.getStatus().getDescription()).contains("Bearer");
            });
    assertThatThrownBy(
            () -> admin(null, "not-a-token").listServices(ListRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    // A node's certificate is no Admin credential either.
    assertThatThrownBy(() -> admin("node-1", null).listServices(ListRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  void aViewerReadsButCannotWriteAndEtcdIsUnchanged() {
    assertThat(admin(null, TestPki.VIEWER).listServices(ListRequest.getDefaultInstance()))
        .isNotNull();
    try (EtcdStore store = cluster.store()) {
      long before = store.currentRevision();
      assertThatThrownBy(
              () ->
                  admin(null, TestPki.VIEWER)
                      .applyService(
                          ApplyServiceRequest.newBuilder()
                              .setService(Cluster.service("viewer-svc", "ClusterIP", 80))
                              .build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(e.getStatus().getDescription())
                    .contains("bob", "viewer", "ApplyService", "editor");
              });
      assertThat(store.get("services/default/viewer-svc")).isEmpty();
      assertThat(store.list("services/").revision()).isEqualTo(before);
    }
  }

  @Test
  void anEditorWritesAndAViewerSeesIt() {
    Service applied =
        admin(null, TestPki.EDITOR)
            .applyService(
                ApplyServiceRequest.newBuilder()
                    .setService(Cluster.service("editor-svc", "ClusterIP", 80))
                    .build());
    assertThat(applied.getSpec().getClusterIp()).startsWith("127.96.");
    assertThat(
            admin(null, TestPki.VIEWER)
                .getService(
                    GetRequest.newBuilder().setNamespace("default").setName("editor-svc").build())
                .getSpec()
                .getClusterIp())
        .isEqualTo(applied.getSpec().getClusterIp());
  }

  @Test
  void aLoadBalancerCertificateMayWriteServiceStatusAndNothingElse() {
    Service lb =
        admin(null, TestPki.EDITOR)
            .applyService(
                ApplyServiceRequest.newBuilder()
                    .setService(Cluster.service("lb-svc", "LoadBalancer", 80))
                    .build());
    String ip = lb.getSpec().getLoadBalancerIp();
    Service written =
        admin("cloud-lb", null)
            .updateServiceStatus(
                UpdateServiceStatusRequest.newBuilder()
                    .setNamespace("default")
                    .setName("lb-svc")
                    .setStatus(
                        ServiceStatus.newBuilder()
                            .setLoadBalancer(
                                LoadBalancerStatus.newBuilder()
                                    .addIngress(LoadBalancerIngress.newBuilder().setIp(ip))))
                    .build());
    assertThat(written.getStatus().getLoadBalancer().getIngress(0).getIp()).isEqualTo(ip);
    assertThatThrownBy(
            () ->
                admin("cloud-lb", null)
                    .applyService(
                        ApplyServiceRequest.newBuilder()
                            .setService(Cluster.service("lb-svc-2", "ClusterIP", 80))
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThatThrownBy(
            () ->
                admin("node-1", null)
                    .updateServiceStatus(
                        UpdateServiceStatusRequest.newBuilder()
                            .setNamespace("default")
                            .setName("lb-svc")
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  /** Kubernetes' NodeRestriction: a node reports (and watches) only the pods bound to it. */
  @Test
  void aNodeSetsTheConditionsOfItsOwnPodsOnlyAndWatchesOnlyThem() throws Exception {
    pki.node("node-2");
    AdminGrpc.AdminBlockingStub editor = admin(null, TestPki.EDITOR);
    editor.applyPod(
        ApplyPodRequest.newBuilder()
            .setPod(Cluster.pod("mine", "web", "127.0.10.1", "node-1", true))
            .build());
    Pod theirs =
        editor.applyPod(
            ApplyPodRequest.newBuilder()
                .setPod(Cluster.pod("theirs", "web", "127.0.10.2", "node-2", true))
                .build());

    Pod reported =
        admin("node-1", null)
            .setPodConditions(
                SetPodConditionsRequest.newBuilder()
                    .setNamespace("default")
                    .setName("mine")
                    .setReady(false)
                    .setReadyMessage("Readiness probe failed: connection refused")
                    .build());
    assertThat(reported.getStatus().getReady()).isFalse();
    assertThat(reported.getStatus().getReadyMessage()).contains("connection refused");

    assertThatThrownBy(
            () ->
                admin("node-1", null)
                    .setPodConditions(
                        SetPodConditionsRequest.newBuilder()
                            .setNamespace("default")
                            .setName("theirs")
                            .setReady(false)
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo(
                      "node \"node-1\" can only update pod"
                          + " status for pods with spec.nodeName set to itself (pod default/theirs has"
                          + " spec.nodeName \"node-2\")");
            });
    try (EtcdStore store = cluster.store()) {
      assertThat(store.get(Keys.pod("default", "theirs")).orElseThrow().modRevision())
          .as("etcd unchanged")
          .isEqualTo(theirs.getMetadata().getResourceVersion());
    }
    // Anything but SetPodConditions and Watch stays closed to a node.
    assertThatThrownBy(
            () ->
                admin("node-1", null)
                    .applyPod(
                        ApplyPodRequest.newBuilder()
                            .setPod(Cluster.pod("mine", "web", "127.0.10.1", "node-1", true))
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));

    Iterator<WatchEvent> own =
        admin("node-1", null)
            .watch(
                WatchRequest.newBuilder()
                    .setKind(Kind.POD)
                    .setFieldSelector("spec.nodeName=node-1")
                    .build());
    assertThat(own.next().getPod().getMetadata().getName()).isEqualTo("mine");
    assertThat(own.next().getType()).isEqualTo(WatchEvent.Type.BOOKMARK);
    Iterator<WatchEvent> everyone =
        admin("node-1", null).watch(WatchRequest.newBuilder().setKind(Kind.POD).build());
    assertThatThrownBy(everyone::next)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  @Test
  void aPlaintextHealthPortServesHealthAloneBesideTheTlsPort() throws Exception {
    InetSocketAddress health = cp.serveHealthPlaintext(new InetSocketAddress("127.0.0.1", 0));
    ManagedChannel plain = NettyChannelBuilder.forAddress(health).usePlaintext().build();
    try {
      assertThat(
              HealthGrpc.newBlockingStub(plain)
                  .withDeadlineAfter(20, TimeUnit.SECONDS)
                  .check(HealthCheckRequest.newBuilder().setService("").build())
                  .getStatus())
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      // Nothing but health: the Admin API is only on the TLS port.
      assertThatThrownBy(
              () ->
                  AdminGrpc.newBlockingStub(plain)
                      .withDeadlineAfter(20, TimeUnit.SECONDS)
                      .listServices(ListRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
    } finally {
      plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void healthNeedsNoCredentials() {
    HealthCheckResponse response =
        HealthGrpc.newBlockingStub(cluster.channel(cp, pki.credentials(null, null)))
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService("switchboard.v1.Admin").build());
    assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }
}
