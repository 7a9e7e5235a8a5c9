package dev.switchboard.lb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.AgentConfig;
import dev.switchboard.agent.NodeAgent;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.lb.CloudLb;
import dev.switchboard.lb.LbConfig;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.testing.GrpcBackend;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Service;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A gRPC port (appProtocol grpc) through the whole path, client → cloud-lb → a real agent's
 * NodePort → pods: both hops terminate HTTP/2, so one client connection still reaches every pod,
 * and a call is one trace (the load balancer's span, the agent's span its child, the pod's
 * traceparent the agent's span).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class GrpcThroughLbTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final AttributeKey<String> ROLE = AttributeKey.stringKey("switchboard.role");
  private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private static final InetSocketAddress LB = new InetSocketAddress("127.0.2.53", 9090);
  private static final List<GrpcBackend> pods = new ArrayList<>();
  private static EtcdProcess etcd;
  private static LbCluster cluster;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdProcess.start();
    cluster = new LbCluster(etcd);
    Telemetry agentTelemetry =
        cluster.closeLater(Telemetry.forTesting("switchboard-node-agent", spans));
    NodeAgent agent =
        NodeAgent.start(
            AgentConfig.local(
                    "node-1", InetAddress.getByName("127.0.1.232"), "127.0.0.1:" + cluster.port)
                .withAdminPort(EtcdProcess.freePort())
                .withIoThreads(1),
            agentTelemetry,
            InsecureChannelCredentials.create());
    cluster.closeLater(agent::close);
    for (int i = 1; i <= 3; i++) {
      GrpcBackend b = GrpcBackend.start("127.0.10.23" + (i + 1), "pod-" + i);
      pods.add(b);
      cluster.closeLater(b);
      cluster.admin.applyPod(ApplyPodRequest.newBuilder().setPod(pod(b)).build());
    }
    Service.Builder svc = LbCluster.lbService("greeter", false);
    svc.getSpecBuilder()
        .setLoadBalancerIp(LB.getAddress().getHostAddress())
        .getPortsBuilder(0)
        .setName("grpc")
        .setPort(LB.getPort())
        .setAppProtocol("grpc")
        .setTargetPort(IntOrString.newBuilder().setStrValue("grpc"));
    cluster.apply(svc.build());
    Telemetry lbTelemetry = cluster.closeLater(Telemetry.forTesting("switchboard-cloud-lb", spans));
    CloudLb lb =
        cluster.closeLater(
            CloudLb.start(
                LbConfig.of("lb", "127.0.0.1:" + cluster.port)
                    .withHealth(LbCluster.FAST_HEALTH)
                    .withIoThreads(2),
                lbTelemetry,
                InsecureChannelCredentials.create(),
                null));
    ServiceName key = new ServiceName("default", "greeter");
    await()
        .atMost(WAIT)
        .until(
            () ->
                lb.inspect(
                    b ->
                        b.listeners(key).size() == 1
                            && b.listeners(key).get(0).target().endpoints().stream()
                                .anyMatch(e -> e.ready())));
    channel = GrpcBackend.channel(LB);
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (cluster != null) {
      cluster.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void oneClientConnectionThroughTheLoadBalancerReachesEveryPod() {
    // The agent may not have every pod yet when cloud-lb is ready: wait for the three.
    await()
        .atMost(WAIT)
        .until(() -> who(channel) != null && pods.stream().allMatch(p -> p.calls.get() > 0));
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      counts.merge(who(channel), 1, Integer::sum);
    }
    assertThat(counts).containsOnlyKeys("pod-1", "pod-2", "pod-3");
    assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(60, 140));
  }

  @Test
  void aCallIsOneTraceFromLoadBalancerToPod() {
    String trace = "5bf92f3577b34da6a3ce929d0e0e4736";
    String clientSpan = "10f067aa0ba902b7";
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
        "00-" + trace + "-" + clientSpan + "-01");
    String answeredBy =
        new String(
            ClientCalls.blockingUnaryCall(
                ClientInterceptors.intercept(
                    channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
                GrpcBackend.WHO,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                new byte[0]),
            StandardCharsets.UTF_8);
    List<SpanData> inTrace =
        await()
            .atMost(WAIT)
            .until(
                () ->
                    spans.getFinishedSpanItems().stream()
                        .filter(
                            s ->
                                s.getTraceId().equals(trace)
                                    && s.getName().equals("test.Backend/Who"))
                        .toList(),
                l -> l.size() == 2);
    SpanData lbSpan =
        inTrace.stream()
            .filter(s -> "cloud-lb".equals(s.getAttributes().get(ROLE)))
            .findFirst()
            .orElseThrow();
    SpanData agentSpan =
        inTrace.stream()
            .filter(s -> "node-agent".equals(s.getAttributes().get(ROLE)))
            .findFirst()
            .orElseThrow();
    assertThat(lbSpan.getParentSpanId()).isEqualTo(clientSpan);
    assertThat(agentSpan.getParentSpanId()).isEqualTo(lbSpan.getSpanId());
    GrpcBackend pod =
        pods.stream().filter(p -> p.name.equals(answeredBy)).findFirst().orElseThrow();
    assertThat(pod.lastTraceparent).isEqualTo("00-" + trace + "-" + agentSpan.getSpanId() + "-01");
  }

  private static String who(ManagedChannel ch) {
    return new String(
        ClientCalls.blockingUnaryCall(
            ch,
            GrpcBackend.WHO,
            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
            new byte[0]),
        StandardCharsets.UTF_8);
  }

  private static Pod pod(GrpcBackend b) {
    return Pod.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder()
                .setNamespace("default")
                .setName(b.name)
                .putLabels("app", "greeter"))
        .setSpec(
            PodSpec.newBuilder()
                .setNodeName("node-1")
                .addContainers(
                    Container.newBuilder()
                        .setName("main")
                        .addPorts(
                            ContainerPort.newBuilder()
                                .setName("grpc")
                                .setContainerPort(b.address().getPort()))))
        .setStatus(
            PodStatus.newBuilder()
                .setPodIp(b.address().getAddress().getHostAddress())
                .setReady(true))
        .build();
  }
}
