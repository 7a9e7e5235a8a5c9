package dev.switchboard.bench.grpc;

import dev.switchboard.bench.ScratchDir;
import dev.switchboard.bench.scale.JvmProcess;
import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.launcher.ComponentJvm;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.testing.GrpcBackend;
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
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Unary gRPC calls per second and latency through the node agent's HTTP/2 mode (a NodePort with
 * appProtocol grpc, three endpoints), against calls direct to one endpoint and through HAProxy 2.6
 * ({@code mode http}, {@code proto h2} on bind and servers, {@code balance random}): same run, same
 * load generator ({@link GrpcLoad}: few connections, many calls in flight), alternating targets
 * round by round, medians of the rounds. The proxies (agent, HAProxy: one thread) are pinned to CPU
 * 1, the load generator and the endpoints to CPU 0, so each proxy has a core of its own and its CPU
 * per call is reported too.
 *
 * <p>Usage: {@code bench/grpc [--rounds 3] [--seconds 5] [--warmup 15] [--connections 4]
 * [--in-flight 64] [--out FILE] [--keep]}: the table goes to stdout, and to FILE too; the scratch
 * directory (logs) is removed after a clean run unless {@code --keep}.
 */
public final class GrpcBenchmark {
  private static final String NODE = "127.0.1.71";
  private static final List<String> ENDPOINT_IPS =
      List.of("127.0.10.71", "127.0.10.72", "127.0.10.73");
  private static final String HAPROXY = "/usr/sbin/haproxy";

  /**
   * {@code -Dbench.agentJvm="..."}: JVM flags added after bin/run-local's (e.g. {@code
   * -XX:TieredStopAtLevel=4} for C2); the agent's row then says it is not what users run.
   */
  private static final String EXTRA_FLAGS = System.getProperty("bench.agentJvm", "").trim();

  private GrpcBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, Integer> opts =
        new LinkedHashMap<>(
            Map.of(
                "--rounds",
                3,
                "--seconds",
                5,
                "--warmup",
                15,
                "--connections",
                4,
                "--in-flight",
                64));
    String out = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals(ScratchDir.KEEP)) {
        continue;
      }
      if (i + 1 == args.length) {
        throw new IllegalArgumentException(args[i] + ": needs a value");
      }
      if (args[i].equals("--out")) {
        out = args[++i];
      } else if (opts.containsKey(args[i])) {
        opts.put(args[i], Integer.parseInt(args[i + 1]));
        i++;
      } else {
        throw new IllegalArgumentException(
            args[i] + ": unknown (expected: " + opts.keySet() + ", --out or --keep)");
      }
    }
    ScratchDir scratch = ScratchDir.create("switchboard-grpc-bench-", args);
    Path dir = scratch.path();
    int port = EtcdProcess.freePort();
    List<String> endpointArgs = new ArrayList<>(List.of(Integer.toString(port)));
    endpointArgs.addAll(ENDPOINT_IPS);
    try (JvmProcess endpoints =
            JvmProcess.start(
                "endpoints",
                dir.resolve("endpoints.log"),
                List.of("-Xmx256m", "-XX:+UseSerialGC"),
                GrpcEndpoints.class.getName(),
                endpointArgs);
        EtcdProcess etcd = EtcdProcess.start();
        ControlPlane cp =
            ControlPlane.start(ControlPlaneConfig.local(etcd.endpoint(), "/bench-grpc"))) {
      InetSocketAddress direct = new InetSocketAddress(ENDPOINT_IPS.get(0), port);
      endpoints.await("answering", () -> answers(direct), 60_000);
      int nodePort = createService(cp.port(), port);
      InetSocketAddress viaAgent = new InetSocketAddress(NODE, nodePort);
      try (JvmProcess agent = agent(dir, cp.port())) {
        agent.await("answering on the NodePort", () -> answers(viaAgent), 120_000);
        int haproxyPort = EtcdProcess.freePort();
        Process haproxy = haproxy(dir, haproxyPort, port);
        try {
          InetSocketAddress viaHaproxy = new InetSocketAddress("127.0.0.1", haproxyPort);
          JvmProcess.awaitTrue("HAProxy answering", () -> answers(viaHaproxy), 30_000);
          pin(agent.pid(), "1");
          pin(haproxy.pid(), "1");
          pin(endpoints.pid(), "0");
          pin(ProcessHandle.current().pid(), "0");
          Map<String, Target> targets = new LinkedHashMap<>();
          targets.put("direct, one endpoint", new Target(direct, null));
          targets.put(
              EXTRA_FLAGS.isEmpty()
                  ? "Switchboard agent (h2 mode)"
                  : "Switchboard agent (h2 mode), extra: bin/run-local's flags + " + EXTRA_FLAGS,
              new Target(viaAgent, ProcessHandle.of(agent.pid()).orElseThrow()));
          targets.put("HAProxy 2.6 mode http, h2", new Target(viaHaproxy, haproxy.toHandle()));
          String report =
              new Rounds(
                      new GrpcLoad(opts.get("--connections"), opts.get("--in-flight")),
                      ENDPOINT_IPS.size())
                  .run(targets, opts.get("--rounds"), opts.get("--seconds"), opts.get("--warmup"));
          System.out.println(report);
          if (out != null) {
            Files.writeString(Path.of(out), report + "\n", StandardCharsets.UTF_8);
          }
        } finally {
          haproxy.destroy();
          haproxy.waitFor(5, TimeUnit.SECONDS);
        }
      }
    }
    scratch.finished();
  }

  /** A target and the proxy process whose CPU it costs (null: none). */
  record Target(InetSocketAddress address, ProcessHandle proxy) {}

  private static boolean answers(InetSocketAddress to) {
    ManagedChannel ch = NettyChannelBuilder.forAddress(to).usePlaintext().build();
    try {
      ClientCalls.blockingUnaryCall(
          ch,
          GrpcBackend.WHO,
          CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS),
          new byte[0]);
      return true;
    } catch (RuntimeException e) {
      return false;
    } finally {
      ch.shutdownNow();
    }
  }

  /** Three pods on node-1 and a NodePort service with appProtocol grpc; returns its NodePort. */
  private static int createService(int controlPlanePort, int podPort) throws InterruptedException {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", controlPlanePort).usePlaintext().build();
    try {
      AdminGrpc.AdminBlockingStub admin =
          AdminGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
      for (int i = 0; i < ENDPOINT_IPS.size(); i++) {
        admin.applyPod(
            ApplyPodRequest.newBuilder()
                .setPod(
                    Pod.newBuilder()
                        .setMetadata(
                            ObjectMeta.newBuilder()
                                .setNamespace("default")
                                .setName("b" + (i + 1))
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
                                                .setContainerPort(podPort))))
                        .setStatus(
                            PodStatus.newBuilder().setPodIp(ENDPOINT_IPS.get(i)).setReady(true)))
                .build());
      }
      Service svc =
          admin.applyService(
              ApplyServiceRequest.newBuilder()
                  .setService(
                      Service.newBuilder()
                          .setMetadata(
                              ObjectMeta.newBuilder().setNamespace("default").setName("greeter"))
                          .setSpec(
                              ServiceSpec.newBuilder()
                                  .setType("NodePort")
                                  .putSelector("app", "greeter")
                                  .addPorts(
                                      ServicePort.newBuilder()
                                          .setName("grpc")
                                          .setProtocol("TCP")
                                          .setPort(9090)
                                          .setAppProtocol("grpc")
                                          .setTargetPort(
                                              IntOrString.newBuilder().setStrValue("grpc")))))
                  .build());
      return svc.getSpec().getPorts(0).getNodePort();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** A node agent as bin/run-local starts one: its JVM flags, its Main, plaintext. */
  private static JvmProcess agent(Path dir, int controlPlanePort) {
    List<String> flags = new ArrayList<>(ComponentJvm.nodeAgent());
    if (!EXTRA_FLAGS.isEmpty()) {
      flags.addAll(List.of(EXTRA_FLAGS.split("\\s+")));
    }
    return JvmProcess.start(
        "node-agent",
        dir.resolve("node-agent.log"),
        flags,
        "dev.switchboard.agent.Main",
        List.of(
            "--node-name",
            "node-1",
            "--node-address",
            NODE,
            "--control-plane",
            "127.0.0.1:" + controlPlanePort,
            "--cluster-ip-mode",
            "local",
            "--service-cidr",
            "127.96.0.0/16",
            "--dns-port",
            Integer.toString(EtcdProcess.freePort()),
            "--admin-port",
            Integer.toString(EtcdProcess.freePort()),
            "--insecure"));
  }

  /** HAProxy 2.6, one thread, HTTP/2 both sides, random balancing over the three endpoints. */
  private static Process haproxy(Path dir, int listenPort, int podPort) throws IOException {
    StringBuilder cfg =
        new StringBuilder(
            """
            global
              nbthread 1
              maxconn 4096
            defaults
              mode http
              timeout connect 5s
              timeout client 60s
              timeout server 60s
            frontend grpc
              bind 127.0.0.1:%d proto h2
              default_backend endpoints
            backend endpoints
              balance random
            """
                .formatted(listenPort));
    for (int i = 0; i < ENDPOINT_IPS.size(); i++) {
      cfg.append("  server b%d %s:%d proto h2\n".formatted(i + 1, ENDPOINT_IPS.get(i), podPort));
    }
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, cfg.toString());
    return new ProcessBuilder(HAPROXY, "-db", "-f", file.toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile())
        .start();
  }

  /** Pins every thread of {@code pid} to {@code cpus} (taskset -a). */
  private static void pin(long pid, String cpus) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("taskset", "-a", "-cp", cpus, Long.toString(pid))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("taskset " + cpus + " " + pid + ": " + out);
    }
  }
}
