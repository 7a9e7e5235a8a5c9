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
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Service;
import io.grpc.InsecureChannelCredentials;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An HTTP port (appProtocol http) through the whole path, client → cloud-lb → real agent's NodePort
 * → pod: one trace per request, continuing the client's traceparent, with the load balancer's span,
 * the agent's span (its child) and the traceparent the pod receives (the agent's span as parent).
 * Keep-alive and pipelined requests all arrive, each with its own span.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HttpTracingTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final AttributeKey<String> ROLE = AttributeKey.stringKey("switchboard.role");
  private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private static EtcdProcess etcd;
  private static LbCluster cluster;
  private static HttpPod pod;
  private static final InetSocketAddress LB = new InetSocketAddress("127.0.2.52", 80);

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdProcess.start();
    cluster = new LbCluster(etcd);
    Telemetry agentTelemetry =
        cluster.closeLater(Telemetry.forTesting("switchboard-node-agent", spans));
    NodeAgent agent =
        NodeAgent.start(
            AgentConfig.local(
                    "node-1", InetAddress.getByName("127.0.1.231"), "127.0.0.1:" + cluster.port)
                .withAdminPort(EtcdProcess.freePort())
                .withIoThreads(1),
            agentTelemetry,
            InsecureChannelCredentials.create());
    cluster.closeLater(agent::close);
    pod = cluster.closeLater(new HttpPod("pod-1", "127.0.10.231", 8080));
    cluster.admin.applyPod(
        ApplyPodRequest.newBuilder()
            .setPod(
                Pod.newBuilder()
                    .setMetadata(
                        ObjectMeta.newBuilder()
                            .setNamespace("default")
                            .setName("pod-1")
                            .putLabels("app", "traced"))
                    .setSpec(
                        PodSpec.newBuilder()
                            .setNodeName("node-1")
                            .addContainers(
                                Container.newBuilder()
                                    .setName("main")
                                    .addPorts(
                                        ContainerPort.newBuilder()
                                            .setName("http")
                                            .setContainerPort(8080))))
                    .setStatus(PodStatus.newBuilder().setPodIp("127.0.10.231").setReady(true)))
            .build());
    Service.Builder svc = LbCluster.lbService("traced", false);
    svc.getSpecBuilder()
        .setLoadBalancerIp("127.0.2.52")
        .getPortsBuilder(0)
        .setAppProtocol("http")
        .setTargetPort(IntOrString.newBuilder().setIntValue(8080));
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
    ServiceName key = new ServiceName("default", "traced");
    await()
        .atMost(WAIT)
        .until(
            () ->
                lb.inspect(
                    b ->
                        b.listeners(key).size() == 1
                            && b.listeners(key).get(0).target().endpoints().stream()
                                .anyMatch(e -> e.ready())));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void aRequestWithATraceparentIsOneTraceFromLoadBalancerToPod() throws Exception {
    String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    String clientSpan = "00f067aa0ba902b7";
    try (Socket s = connect()) {
      s.getOutputStream()
          .write(request("/one", "traceparent: 00-" + trace + "-" + clientSpan + "-01"));
      HttpPod.Message response = HttpPod.read(s.getInputStream());
      assertThat(response.firstLine()).isEqualTo("HTTP/1.1 200 OK");
      assertThat(response.body()).isEqualTo("pod-1 /one");
    }
    List<SpanData> inTrace =
        await()
            .atMost(WAIT)
            .until(
                () ->
                    spans.getFinishedSpanItems().stream()
                        .filter(sp -> sp.getTraceId().equals(trace) && sp.getName().equals("GET"))
                        .toList(),
                l -> l.size() == 2);
    SpanData lbSpan =
        inTrace.stream()
            .filter(sp -> "cloud-lb".equals(sp.getAttributes().get(ROLE)))
            .findFirst()
            .orElseThrow();
    SpanData agentSpan =
        inTrace.stream()
            .filter(sp -> "node-agent".equals(sp.getAttributes().get(ROLE)))
            .findFirst()
            .orElseThrow();
    assertThat(lbSpan.getParentSpanId()).isEqualTo(clientSpan);
    assertThat(agentSpan.getParentSpanId()).isEqualTo(lbSpan.getSpanId());
    String received =
        pod.requests.stream()
            .filter(m -> m.firstLine().startsWith("GET /one "))
            .findFirst()
            .orElseThrow()
            .headers()
            .get("traceparent");
    assertThat(received).isEqualTo("00-" + trace + "-" + agentSpan.getSpanId() + "-01");
    assertThat(agentSpan.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
        .isEqualTo(200L);
    // The connection itself is a span at both hops, with the node the load balancer chose.
    SpanData lbConnection =
        await()
            .atMost(WAIT)
            .until(
                () ->
                    spans.getFinishedSpanItems().stream()
                        .filter(
                            sp ->
                                sp.getName().startsWith("forward TCP default/traced")
                                    && "cloud-lb".equals(sp.getAttributes().get(ROLE)))
                        .findFirst()
                        .orElse(null),
                sp -> sp != null);
    assertThat(lbConnection.getAttributes().get(AttributeKey.stringKey("switchboard.node")))
        .isEqualTo("node-1");
    assertThat(
            lbConnection.getAttributes().get(AttributeKey.longKey("switchboard.bytes_to_client")))
        .isPositive();
  }

  @Test
  void keepAliveAndPipelinedRequestsAllArriveEachWithItsOwnSpan() throws Exception {
    int n = 5;
    try (Socket s = connect()) {
      ByteArrayOutputStream pipelined = new ByteArrayOutputStream();
      for (int i = 0; i < n; i++) {
        pipelined.write(request("/pipe" + i));
      }
      s.getOutputStream().write(pipelined.toByteArray());
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      for (int i = 0; i < n; i++) {
        assertThat(HttpPod.read(in).body()).isEqualTo("pod-1 /pipe" + i);
      }
      s.getOutputStream().write(request("/after")); // and the connection is still usable
      assertThat(HttpPod.read(in).body()).isEqualTo("pod-1 /after");
    }
    List<HttpPod.Message> got =
        pod.requests.stream().filter(m -> m.firstLine().contains(" /pipe")).toList();
    assertThat(got).hasSize(n);
    Set<String> podTraces =
        got.stream()
            .map(m -> m.headers().get("traceparent").split("-")[1])
            .collect(Collectors.toSet());
    assertThat(podTraces).as("a trace started per request").hasSize(n);
    await()
        .atMost(WAIT)
        .until(
            () ->
                podTraces.stream()
                    .allMatch(
                        t ->
                            spans.getFinishedSpanItems().stream()
                                    .filter(
                                        sp ->
                                            sp.getTraceId().equals(t) && sp.getName().equals("GET"))
                                    .count()
                                == 2));
  }

  private static Socket connect() throws Exception {
    Socket s = new Socket();
    s.connect(LB, 2000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static byte[] request(String path, String... headers) {
    StringBuilder b = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: traced\r\n");
    for (String h : headers) {
      b.append(h).append("\r\n");
    }
    return b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }
}
