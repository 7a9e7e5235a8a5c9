package dev.switchboard.bench.nodeport;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Extra, labelled rows: node agents that users do not get from {@code bin/run-local}, each the same
 * {@code Main} with other JVM flags (the container images' flags; or an experiment), joined to a
 * small control plane of their own so that cloud-lb of the shipped cluster never sends to them.
 * Each serves the same pod on NodePort {@link #NODE_PORT} of its own address, and on {@link
 * #HTTP_NODE_PORT} as an {@code appProtocol: http} port.
 */
final class ExtraAgents implements AutoCloseable {
  static final int NODE_PORT = 30090;
  static final int HTTP_NODE_PORT = 30091;

  private final Path dir;
  private final EtcdProcess etcd;
  private final ControlPlane controlPlane;
  private final List<Process> agents = new ArrayList<>();
  private boolean podApplied;

  private ExtraAgents(Path dir, EtcdProcess etcd, ControlPlane controlPlane) {
    this.dir = dir;
    this.etcd = etcd;
    this.controlPlane = controlPlane;
  }

  static ExtraAgents start(Path dir) throws IOException {
    EtcdProcess etcd = EtcdProcess.start();
    try {
      return new ExtraAgents(
          dir, etcd, ControlPlane.start(ControlPlaneConfig.local(etcd.endpoint(), "/extra")));
    } catch (IOException | RuntimeException e) {
      etcd.close();
      throw e;
    }
  }

  /**
   * Starts node agent {@code name} on {@code ip} with {@code jvmFlags} and {@code environment}
   * added to this process's; the pod is on the first one.
   */
  Process start(
      String name,
      String ip,
      List<String> jvmFlags,
      Map<String, String> environment,
      String podIp,
      int podPort)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(jvmFlags);
    command.addAll(
        List.of(
            "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.switchboard.agent.Main",
            "--node-name",
            name,
            "--node-address",
            ip,
            "--control-plane",
            "127.0.0.1:" + controlPlane.port(),
            "--cluster-ip-mode",
            "local",
            "--service-cidr",
            "127.96.0.0/16",
            "--admin-port",
            Integer.toString(EtcdProcess.freePort()),
            "--dns-port",
            Integer.toString(EtcdProcess.freePort()),
            "--insecure"));
    Path log = dir.resolve(name + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(environment);
    Process p = builder.start();
    agents.add(p);
    System.err.println("bench: started " + name + " (pid " + p.pid() + ", log " + log + ")");
    if (!podApplied) {
      applyService(name, podIp, podPort);
      podApplied = true;
    }
    return p;
  }

  private void applyService(String podNode, String podIp, int podPort) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", controlPlane.port()).usePlaintext().build();
    try {
      AdminGrpc.AdminBlockingStub admin =
          AdminGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      admin.applyService(
          ApplyServiceRequest.newBuilder()
              .setService(
                  Service.newBuilder()
                      .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("bench"))
                      .setSpec(
                          ServiceSpec.newBuilder()
                              .setType("NodePort")
                              .putSelector("app", "bench")
                              .addPorts(
                                  ServicePort.newBuilder()
                                      .setPort(80)
                                      .setName("tcp")
                                      .setNodePort(NODE_PORT)
                                      .setTargetPort(IntOrString.newBuilder().setStrValue("http")))
                              .addPorts(
                                  ServicePort.newBuilder()
                                      .setName("http")
                                      .setPort(81)
                                      .setAppProtocol("http")
                                      .setNodePort(HTTP_NODE_PORT)
                                      .setTargetPort(
                                          IntOrString.newBuilder().setStrValue("http")))))
              .build());
      admin.applyPod(
          ApplyPodRequest.newBuilder()
              .setPod(
                  Pod.newBuilder()
                      .setMetadata(
                          ObjectMeta.newBuilder()
                              .setNamespace("default")
                              .setName("bench-1")
                              .putLabels("app", "bench"))
                      .setSpec(
                          PodSpec.newBuilder()
                              .setNodeName(podNode)
                              .addContainers(
                                  Container.newBuilder()
                                      .setName("nginx")
                                      .addPorts(
                                          ContainerPort.newBuilder()
                                              .setName("http")
                                              .setContainerPort(podPort))))
                      .setStatus(PodStatus.newBuilder().setPodIp(podIp).setReady(true)))
              .build());
    } finally {
      channel.shutdownNow();
    }
  }

  @Override
  public void close() {
    for (Process p : agents) {
      p.destroy();
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
    controlPlane.close();
    etcd.close();
  }
}
