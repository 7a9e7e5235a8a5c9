package dev.switchboard.agent.it;

import static dev.switchboard.agent.it.AgentCluster.WAIT;
import static dev.switchboard.agent.it.AgentCluster.pod;
import static dev.switchboard.agent.it.AgentCluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.NodeAgent;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.testing.GrpcBackend;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A gRPC service (appProtocol grpc) through a real agent, with real etcd and control plane: one
 * client channel, i.e. one HTTP/2 connection, to the ClusterIP or to the NodePort spreads its calls
 * over every pod, where the same port without the appProtocol pins them all to one; a scale-up
 * reaches the new pods on the connection the client holds; each call is a span that continues the
 * client's traceparent.
 */
@Timeout(120)
class GrpcServiceTest {
  private static final String NODE_IP = "127.0.1.61";
  private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private static EtcdProcess etcd;
  private static AgentCluster cluster;
  private static final List<GrpcBackend> pods = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdProcess.start();
    cluster = new AgentCluster(etcd, c -> Telemetry.forTesting("switchboard-" + c, spans));
    cluster.startControlPlane();
    cluster.startAgent("n1", NODE_IP);
    await().atMost(WAIT).until(() -> cluster.agents.stream().allMatch(NodeAgent::ready));
    for (int i = 1; i <= 5; i++) {
      pods.add(GrpcBackend.start("127.0.10.6" + i, "pod-" + i));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    for (GrpcBackend b : pods) {
      b.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @AfterEach
  void closeChannels() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void oneConnectionToTheClusterIpOrTheNodePortReachesEveryPodCallByCall() throws Exception {
    addPods("spread", 0, 1, 2);
    Service grpc = applyService("spread", "grpc");
    Service plain = applyService("spread-plain", "");

    Map<String, Integer> viaClusterIp = spread(channel(clusterIp(grpc)), 3000);
    Map<String, Integer> viaNodePort = spread(channel(nodePort(grpc)), 3000);
    Map<String, Integer> plainClusterIp = spread(channel(clusterIp(plain)), 3000);

    for (Map<String, Integer> m : List.of(viaClusterIp, viaNodePort)) {
      assertThat(m).containsOnlyKeys("pod-1", "pod-2", "pod-3");
      assertThat(m.values()).allSatisfy(n -> assertThat(n).isBetween(900, 1100));
    }
    assertThat(plainClusterIp).hasSize(1).containsValue(3000); // L4: one connection, one pod
  }

  @Test
  void aScaleUpReachesTheNewPodsOnTheConnectionTheClientHolds() throws Exception {
    addPods("scale", 3);
    Service svc = applyService("scale", "grpc");
    ManagedChannel ch = channel(clusterIp(svc));
    assertThat(spread(ch, 100)).containsOnlyKeys("pod-4");
    addPods("scale", 4);
    cluster.awaitProgrammed(cluster.currentRevision());
    assertThat(spread(ch, 600)).containsOnlyKeys("pod-4", "pod-5");
  }

  @Test
  void eachCallIsASpanThatContinuesTheClientsTraceparent() throws Exception {
    addPods("traced", 0);
    Service svc = applyService("traced", "grpc");
    String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    String clientSpan = "00f067aa0ba902b7";
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
        "00-" + trace + "-" + clientSpan + "-01");
    ManagedChannel ch = channel(clusterIp(svc));
    byte[] answer =
        ClientCalls.blockingUnaryCall(
            ch,
            GrpcBackend.WHO,
            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
            new byte[0]);
    assertThat(answer).isNotEmpty(); // warm: the traced call below is the second on this channel
    io.grpc.Channel traced =
        io.grpc.ClientInterceptors.intercept(
            ch, MetadataUtils.newAttachHeadersInterceptor(headers));
    ClientCalls.blockingUnaryCall(
        traced,
        GrpcBackend.WHO,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
        new byte[0]);
    SpanData span =
        await()
            .atMost(WAIT)
            .until(
                () ->
                    spans.getFinishedSpanItems().stream()
                        .filter(
                            s ->
                                s.getTraceId().equals(trace)
                                    && s.getName().equals("test.Backend/Who"))
                        .findFirst()
                        .orElse(null),
                s -> s != null);
    assertThat(span.getParentSpanId()).isEqualTo(clientSpan);
    assertThat(span.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")))
        .isEqualTo(0L);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("rpc.method")))
        .isEqualTo("/test.Backend/Who");
    assertThat(pods.get(0).lastTraceparent)
        .isEqualTo("00-" + trace + "-" + span.getSpanId() + "-01");
  }

  // ---- helpers ----

  private static void addPods(String app, int... indexes) {
    for (int i : indexes) {
      GrpcBackend b = pods.get(i);
      cluster.apply(
          pod(
              app + "-" + b.name,
              app,
              b.address().getAddress().getHostAddress(),
              "n1",
              "grpc",
              "TCP",
              b.address().getPort()));
    }
  }

  /** A NodePort service on the pods of {@code app} ("spread-plain" selects "spread"'s pods). */
  private static Service applyService(String name, String appProtocol) {
    ServicePort port =
        ServicePort.newBuilder()
            .setName("grpc")
            .setProtocol("TCP")
            .setPort(9090)
            .setAppProtocol(appProtocol)
            .setTargetPort(IntOrString.newBuilder().setStrValue("grpc"))
            .build();
    Service.Builder b = service(name, "NodePort", port);
    b.getSpecBuilder().putSelector("app", name.replace("-plain", ""));
    Service svc = cluster.apply(b);
    cluster.awaitProgrammed(cluster.currentRevision());
    return svc;
  }

  private static InetSocketAddress clusterIp(Service svc) {
    return new InetSocketAddress(svc.getSpec().getClusterIp(), 9090);
  }

  private static InetSocketAddress nodePort(Service svc) {
    return new InetSocketAddress(NODE_IP, svc.getSpec().getPorts(0).getNodePort());
  }

  private ManagedChannel channel(InetSocketAddress to) {
    ManagedChannel c = GrpcBackend.channel(to);
    channels.add(c);
    return c;
  }

  private static Map<String, Integer> spread(ManagedChannel ch, int n) throws Exception {
    return GrpcBackend.spread(ch, n);
  }
}
