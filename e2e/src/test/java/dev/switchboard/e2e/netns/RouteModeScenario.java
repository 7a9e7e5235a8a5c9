package dev.switchboard.e2e.netns;

import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.AgentConfig;
import dev.switchboard.agent.ClusterIpMode;
import dev.switchboard.agent.NodeAgent;
import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.testing.AcceptLoop;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A node agent in cluster (route) mode, with everything it needs: etcd, a control plane, a pod.
 * Runs ONLY inside a network namespace that {@link RouteModeTest} created for it (its own loopback,
 * its own routing table, gone when this process exits): the service CIDR here is 10.96.0.0/16, made
 * local by the agent's {@code ip route add local}, and no packet leaves the namespace. Prints one
 * {@code RESULT ...} line; exits non-zero when the expectation fails.
 *
 * <p>Argument {@code route}: the agent may change routes (root in the namespace); a client reaches
 * the pod through the ClusterIP. {@code noperm}: it may not (no CAP_NET_ADMIN); the agent says so,
 * naming the capability, in its NACK.
 */
public final class RouteModeScenario {
  static final String CIDR = "10.96.0.0/16";

  private RouteModeScenario() {}

  public static void main(String[] args) throws Exception {
    boolean permitted = args[0].equals("route");
    try (EtcdProcess etcd = EtcdProcess.start();
        ControlPlane cp =
            ControlPlane.start(
                ControlPlaneConfig.local(etcd.endpoint(), "/route")
                    .withRanges(CIDR, "30000-32767", ""));
        PodServer pod = new PodServer("127.0.10.1", 8080)) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", cp.port()).usePlaintext().build();
      try (NodeAgent agent =
          NodeAgent.start(
              AgentConfig.local(
                      "node-1", InetAddress.getByName("127.0.1.1"), "127.0.0.1:" + cp.port())
                  .withClusterIps(ClusterIpMode.ROUTE, CIDR)
                  .withAdminPort(EtcdProcess.freePort()))) {
        AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(channel);
        Service web =
            admin
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .applyService(ApplyServiceRequest.newBuilder().setService(service()).build());
        admin
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .applyPod(ApplyPodRequest.newBuilder().setPod(pod()).build());
        String clusterIp = web.getSpec().getClusterIp();
        if (permitted) {
          InetSocketAddress address = new InetSocketAddress(clusterIp, 80);
          await()
              .atMost(Duration.ofSeconds(20))
              .pollInterval(Duration.ofMillis(100))
              .ignoreExceptions()
              .until(() -> "pod=web-1".equals(ask(address)));
          System.out.println(
              "RESULT route: "
                  + clusterIp
                  + ":80 answered pod=web-1; "
                  + run("ip", "route", "show", "table", "local", CIDR));
        } else {
          String[] nack = {""};
          await()
              .atMost(Duration.ofSeconds(20))
              .pollInterval(Duration.ofMillis(100))
              .until(
                  () -> {
                    nack[0] =
                        cp.discovery().subscribers().stream()
                            .filter(s -> s.nodeName().equals("node-1"))
                            .map(s -> s.lastNack())
                            .findFirst()
                            .orElse("");
                    return nack[0].contains(CIDR);
                  });
          System.out.println("RESULT noperm: " + nack[0]);
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    System.exit(0);
  }

  private static Service service() {
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("web"))
        .setSpec(
            ServiceSpec.newBuilder()
                .setType("ClusterIP")
                .putSelector("app", "web")
                .addPorts(
                    ServicePort.newBuilder()
                        .setName("http")
                        .setProtocol("TCP")
                        .setPort(80)
                        .setTargetPort(IntOrString.newBuilder().setIntValue(8080))))
        .build();
  }

  private static Pod pod() {
    return Pod.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder()
                .setNamespace("default")
                .setName("web-1")
                .putLabels("app", "web"))
        .setSpec(
            PodSpec.newBuilder()
                .setNodeName("node-1")
                .addContainers(
                    Container.newBuilder()
                        .setName("main")
                        .addPorts(
                            ContainerPort.newBuilder().setName("http").setContainerPort(8080))))
        .setStatus(PodStatus.newBuilder().setPodIp("127.0.10.1").setReady(true))
        .build();
  }

  private static String ask(InetSocketAddress address) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(address, 1000);
      s.setSoTimeout(2000);
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.waitFor(10, TimeUnit.SECONDS);
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
  }

  /** A pod's server: answers "pod=web-1" and closes. */
  private static final class PodServer implements AutoCloseable {
    private final AcceptLoop acceptLoop;

    PodServer(String ip, int port) throws IOException {
      ServerSocket socket = new ServerSocket();
      socket.bind(new InetSocketAddress(ip, port));
      acceptLoop =
          AcceptLoop.start(
              socket,
              "pod",
              accepted -> {
                try (Socket s = accepted) {
                  s.getOutputStream().write("pod=web-1\n".getBytes(StandardCharsets.UTF_8));
                }
              });
    }

    @Override
    public void close() {
      acceptLoop.close();
    }
  }
}
