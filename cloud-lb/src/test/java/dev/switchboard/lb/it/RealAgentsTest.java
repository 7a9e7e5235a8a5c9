package dev.switchboard.lb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.AgentConfig;
import dev.switchboard.agent.NodeAgent;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.lb.CloudLb;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.Annotations;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Service;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole path with real node agents: client → cloud-lb (external IP) → agent NodePort → pod.
 * With externalTrafficPolicy Local each node only serves its own pod, so the pod's answer names the
 * node, and the load balancer's HTTP check talks to the agent's real healthCheckNodePort.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RealAgentsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static EtcdProcess etcd;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdProcess.start();
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
  }

  @Test
  void clientsReachPodsThroughRealAgentsAndADeadAgentsNodeIsDropped() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      List<AutoCloseable> agents = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        String address = "127.0.1." + (240 + i);
        NodeAgent agent =
            NodeAgent.start(
                AgentConfig.local(
                        "node-" + i, InetAddress.getByName(address), "127.0.0.1:" + cluster.port)
                    .withAdminPort(EtcdProcess.freePort())
                    .withIoThreads(1));
        agents.add(cluster.closeLater(closeOnce(agent)));
        cluster.closeLater(new PodServer("pod-" + i, "127.0.10." + (240 + i), 8080));
        cluster.admin.applyPod(
            ApplyPodRequest.newBuilder()
                .setPod(pod("pod-" + i, "node-" + i, "127.0.10." + (240 + i)))
                .build());
      }
      Service.Builder spec = LbCluster.lbService("e2e", false);
      spec.getSpecBuilder()
          .setLoadBalancerIp("127.0.2.51")
          .setExternalTrafficPolicy("Local")
          .getPortsBuilder(0)
          .setTargetPort(IntOrString.newBuilder().setIntValue(8080));
      cluster.apply(spec.build());
      CloudLb lb = cluster.loadBalancer("lb");
      ServiceName key = new ServiceName("default", "e2e");
      // Every node's healthCheckNodePort answers 200 (panic would count nodes not checked yet).
      await().atMost(WAIT).until(() -> lb.inspect(b -> b.passingNodes(key)).size() == 3);
      await()
          .atMost(WAIT)
          .until(() -> cluster.get("e2e").getStatus().getLoadBalancer().getIngressCount() == 1);

      InetSocketAddress http = new InetSocketAddress("127.0.2.51", 80);
      Set<String> reached = new HashSet<>();
      for (int c = 1; c <= 30; c++) {
        reached.add(Clients.firstLine("127.0.30." + c, http));
      }
      assertThat(reached).containsExactlyInAnyOrder("pod-1", "pod-2", "pod-3");

      long kill = System.nanoTime();
      agents.get(1).close(); // its stream ends: the control plane marks node-2 not ready
      await()
          .atMost(Duration.ofSeconds(3))
          .until(
              () ->
                  lb.inspect(
                      b ->
                          b.listeners(key).get(0).target().endpoints().stream()
                                  .filter(e -> e.ready())
                                  .count()
                              == 2));
      System.out.printf(
          "real agent stopped: dropped by the load balancer after %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - kill));
      for (int round = 0; round < 3; round++) {
        for (int c = 1; c <= 30; c++) {
          assertThat(Clients.firstLine("127.0.30." + c, http)).isIn("pod-1", "pod-3");
        }
      }
    }
  }

  /**
   * With PROXY protocol on (annotation {@code switchboard.dev/proxy-protocol: v2}), the agent reads
   * the header cloud-lb sends: the pod gets exactly the client's bytes, and ClientIP affinity on
   * the node keys on the real client. One node, so that without the header every client would look
   * like the load balancer to the agent and land on one pod.
   */
  @Test
  void proxyProtocolReachesTheAgentWhichKeysAffinityOnTheRealClient() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      NodeAgent agent =
          NodeAgent.start(
              AgentConfig.local(
                      "node-1", InetAddress.getByName("127.0.1.238"), "127.0.0.1:" + cluster.port)
                  .withAdminPort(EtcdProcess.freePort())
                  .withIoThreads(1));
      cluster.closeLater(closeOnce(agent));
      for (int i = 1; i <= 3; i++) {
        cluster.closeLater(new PodServer("pod-" + i, "127.0.10." + (230 + i), 8080));
        cluster.admin.applyPod(
            ApplyPodRequest.newBuilder()
                .setPod(pod("pod-" + i, "node-1", "127.0.10." + (230 + i)))
                .build());
      }
      Service.Builder spec = LbCluster.lbService("e2e", false);
      spec.getMetadataBuilder().putAnnotations(Annotations.PROXY_PROTOCOL, "v2");
      spec.getSpecBuilder()
          .setLoadBalancerIp("127.0.2.52")
          .setSessionAffinity("ClientIP")
          .getPortsBuilder(0)
          .setTargetPort(IntOrString.newBuilder().setIntValue(8080));
      cluster.apply(spec.build());
      CloudLb lb = cluster.loadBalancer("lb");
      ServiceName key = new ServiceName("default", "e2e");
      InetSocketAddress http = new InetSocketAddress("127.0.2.52", 80);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  lb.inspect(
                      b ->
                          b.listeners(key).size() == 1
                              && b.listeners(key).get(0).target().endpoints().stream()
                                      .filter(e -> e.ready())
                                      .count()
                                  == 1));
      await().atMost(WAIT).until(() -> Clients.firstLineOrNull("127.0.30.1", http) != null);

      Set<String> reached = new HashSet<>();
      for (int c = 1; c <= 30; c++) {
        String client = "127.0.30." + c;
        String pod;
        try (Socket s = Clients.connect(client, http)) {
          pod = Clients.readLine(s);
          s.getOutputStream().write("only the client's bytes\n".getBytes(StandardCharsets.UTF_8));
          assertThat(Clients.readLine(s))
              .as("what the pod echoes")
              .isEqualTo("only the client's bytes");
        }
        for (int again = 0; again < 2; again++) {
          assertThat(Clients.firstLine(client, http)).as("affinity of " + client).isEqualTo(pod);
        }
        reached.add(pod);
      }
      assertThat(reached).as("pods reached by 30 clients through one node").hasSizeGreaterThan(1);
    }
  }

  /**
   * NodeAgent.close() is not idempotent (a second call throws): the test closes one agent early.
   */
  private static AutoCloseable closeOnce(NodeAgent agent) {
    AtomicBoolean closed = new AtomicBoolean();
    return () -> {
      if (closed.compareAndSet(false, true)) {
        agent.close();
      }
    };
  }

  private static Pod pod(String name, String node, String ip) {
    return Pod.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder().setNamespace("default").setName(name).putLabels("app", "e2e"))
        .setSpec(
            PodSpec.newBuilder()
                .setNodeName(node)
                .addContainers(
                    Container.newBuilder()
                        .setName("main")
                        .addPorts(
                            ContainerPort.newBuilder().setName("http").setContainerPort(8080))))
        .setStatus(PodStatus.newBuilder().setPodIp(ip).setReady(true))
        .build();
  }
}
