package dev.switchboard.bench.nodeport;

import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.tls.BearerToken;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import io.grpc.CompositeChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The cluster a user gets: {@code bin/run-local} itself, as a child process (TLS on, telemetry
 * wired, DNS on, three node agents and cloud-lb with the launcher's own JVM flags), on free ports
 * and a state directory of its own. The benchmark only adds its services and pod through the Admin
 * API, with the token and CA the launcher wrote, as {@code bin/sbctl} would.
 */
final class ShippedCluster implements AutoCloseable {
  /** The line {@code bin/run-local} prints once everything answers (launcher {@code Summaries}). */
  private static final String READY_LINE = "switchboard is running";

  private static final long START_TIMEOUT_SECONDS = 300; // may include a build

  private final Process launcher;
  private final Path stateDir;
  private final int controlPlanePort;

  private ShippedCluster(Process launcher, Path stateDir, int controlPlanePort) {
    this.launcher = launcher;
    this.stateDir = stateDir;
    this.controlPlanePort = controlPlanePort;
  }

  /**
   * Runs {@code repo/bin/run-local --no-demo} on free ports; returns once it says it is running.
   */
  static ShippedCluster start(Path repo, Path dir) throws IOException, InterruptedException {
    Path stateDir = Files.createDirectories(dir.resolve("state"));
    int cpPort = EtcdProcess.freePort();
    List<String> command =
        List.of(
            repo.resolve("bin/run-local").toString(),
            "--no-demo",
            "--state-dir",
            stateDir.toString(),
            "--control-plane-port",
            Integer.toString(cpPort),
            "--agent-admin-port",
            Integer.toString(EtcdProcess.freePort()),
            "--agent-dns-port",
            Integer.toString(EtcdProcess.freePort()),
            "--control-plane-metrics-port",
            Integer.toString(EtcdProcess.freePort()),
            "--lb-metrics-port",
            Integer.toString(EtcdProcess.freePort()));
    Path log = dir.resolve("run-local.log");
    Process p =
        new ProcessBuilder(command)
            .directory(repo.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    System.err.println("bench: started bin/run-local (pid " + p.pid() + ", log " + log + ")");
    ShippedCluster cluster = new ShippedCluster(p, stateDir, cpPort);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
    while (!Files.readString(log, StandardCharsets.UTF_8).contains(READY_LINE)) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        cluster.close();
        throw new IOException("bin/run-local did not start (see " + log + ")");
      }
      Thread.sleep(250); // polling a child process's log; bounded by the deadline
    }
    return cluster;
  }

  /**
   * Applies a LoadBalancer service {@code name} (port 80 to the pod's port named http, the given
   * NodePort and appProtocol, "" for none) and, once, the pod: {@code podIp:podPort} on node-1.
   * Returns the service's EXTERNAL-IP once cloud-lb has assigned it.
   */
  String applyLoadBalancer(String name, int nodePort, String appProtocol, String podIp, int podPort)
      throws IOException, InterruptedException {
    ManagedChannel channel = channel();
    try {
      AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(channel);
      ServicePort.Builder port =
          ServicePort.newBuilder()
              .setName("http")
              .setPort(80)
              .setNodePort(nodePort)
              .setTargetPort(IntOrString.newBuilder().setStrValue("http"));
      if (!appProtocol.isEmpty()) {
        port.setAppProtocol(appProtocol);
      }
      admin
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .applyService(
              ApplyServiceRequest.newBuilder()
                  .setService(
                      Service.newBuilder()
                          .setMetadata(
                              ObjectMeta.newBuilder().setNamespace("default").setName(name))
                          .setSpec(
                              ServiceSpec.newBuilder()
                                  .setType("LoadBalancer")
                                  .putSelector("app", "bench")
                                  .addPorts(port)))
                  .build());
      admin
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .applyPod(
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
                                  .setNodeName("node-1")
                                  .addContainers(
                                      Container.newBuilder()
                                          .setName("nginx")
                                          .addPorts(
                                              ContainerPort.newBuilder()
                                                  .setName("http")
                                                  .setContainerPort(podPort))))
                          .setStatus(PodStatus.newBuilder().setPodIp(podIp).setReady(true)))
                  .build());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        try {
          Service s =
              admin
                  .withDeadlineAfter(5, TimeUnit.SECONDS)
                  .getService(
                      GetRequest.newBuilder().setNamespace("default").setName(name).build());
          if (s.getStatus().getLoadBalancer().getIngressCount() > 0) {
            return s.getStatus().getLoadBalancer().getIngress(0).getIp();
          }
        } catch (StatusRuntimeException e) {
          // not yet
        }
        Thread.sleep(200); // polling the cluster we started; bounded by the deadline
      }
      throw new IOException("service " + name + ": no EXTERNAL-IP within 60 s");
    } finally {
      channel.shutdownNow();
    }
  }

  /** The node agent of {@code node} (e.g. node-1), started by the launcher. */
  ProcessHandle nodeAgent(String node) {
    return component(
            args ->
                args.contains("dev.switchboard.agent.Main")
                    && args.contains("--node-name " + node + " "))
        .orElseThrow(
            () -> new IllegalStateException("no node agent " + node + " under the launcher"));
  }

  /** Every node agent the launcher started. */
  List<ProcessHandle> nodeAgents() {
    List<ProcessHandle> agents = new ArrayList<>();
    launcher
        .descendants()
        .filter(h -> commandLine(h).contains("dev.switchboard.agent.Main"))
        .forEach(agents::add);
    return agents;
  }

  ProcessHandle cloudLb() {
    return component(args -> args.contains("dev.switchboard.lb.Main"))
        .orElseThrow(() -> new IllegalStateException("no cloud-lb under the launcher"));
  }

  /** The JVM flags of a component as the launcher started it, for the report. */
  static String jvmFlags(ProcessHandle h) {
    List<String> flags = new ArrayList<>();
    for (String a : commandLine(h).split(" ")) {
      if (a.equals("-cp")) {
        break;
      }
      if (a.startsWith("-X")) {
        flags.add(a);
      }
    }
    return String.join(" ", flags);
  }

  private Optional<ProcessHandle> component(java.util.function.Predicate<String> matches) {
    return launcher.descendants().filter(h -> matches.test(commandLine(h))).findFirst();
  }

  /** From /proc: {@code ProcessHandle.Info#arguments} is often empty on Linux. */
  static String commandLine(ProcessHandle h) {
    try {
      return Files.readString(
              Path.of("/proc", Long.toString(h.pid()), "cmdline"), StandardCharsets.UTF_8)
          .replace('\0', ' ');
    } catch (IOException e) {
      return ""; // gone
    }
  }

  private ManagedChannel channel() throws IOException {
    Path pki = stateDir.resolve("pki");
    String token = Files.readString(pki.resolve("admin.token"), StandardCharsets.US_ASCII).strip();
    return NettyChannelBuilder.forAddress(
            "127.0.0.1",
            controlPlanePort,
            CompositeChannelCredentials.create(
                TlsChannelCredentials.newBuilder()
                    .trustManager(pki.resolve("ca.crt").toFile())
                    .build(),
                new BearerToken(token)))
        .build();
  }

  /** SIGTERM: the launcher stops everything it started, in reverse order. */
  @Override
  public void close() {
    launcher.destroy();
    try {
      if (!launcher.waitFor(30, TimeUnit.SECONDS)) {
        launcher.descendants().forEach(ProcessHandle::destroyForcibly);
        launcher.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      launcher.destroyForcibly();
    }
  }
}
