package dev.switchboard.bench.scale;

import dev.switchboard.bench.ScratchDir;
import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodList;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Probe;
import dev.switchboard.v1.TCPSocketAction;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node agent probing many pods (issue "Health is observed"): N pods bound to one node, each with
 * a tcpSocket readiness probe every second against a real listener, the agent a process of its own
 * with bin/run-local's JVM flags. Reports the agent's CPU while every probe passes, the condition
 * writes reaching etcd per second in that steady state (the goal: none, only transitions write),
 * and what a tenth of the pods failing at once costs. Loopback only; bounded.
 *
 * <p>Usage: {@code bench/probes [--pods 1000] [--seconds 30]}
 */
public final class ProbeLoadBenchmark {
  private static final String NODE = "node-0";
  private static final String NODE_IP = "127.0.1.1";
  private static final int POD_PORT = 18080;

  public static void main(String[] args) throws Exception {
    int pods = Integer.parseInt(arg(args, "--pods", "1000"));
    int seconds = Integer.parseInt(arg(args, "--seconds", "30"));
    ScratchDir scratch = ScratchDir.create("switchboard-probe-bench", args);
    Path dir = scratch.path();
    try (EtcdProcess etcd = EtcdProcess.start();
        Listeners listeners = new Listeners(pods);
        ControlPlane cp =
            ControlPlane.start(
                ControlPlaneConfig.local(etcd.endpoint(), "/probes")
                    .withListenPort(EtcdProcess.freePort()))) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", cp.port()).usePlaintext().build();
      AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(channel);
      // bin/run-local's node-agent JVM flags (BenchOptions' first set).
      List<String> flags = BenchOptions.parse(new String[0]).agentJvmFlags().get(0);
      try (JvmProcess agent =
          JvmProcess.start(
              "node-agent",
              dir.resolve("node-agent.log"),
              flags,
              "dev.switchboard.agent.Main",
              List.of(
                  "--node-name",
                  NODE,
                  "--node-address",
                  NODE_IP,
                  "--control-plane",
                  "127.0.0.1:" + cp.port(),
                  "--admin-port",
                  Integer.toString(EtcdProcess.freePort()),
                  "--insecure"))) {
        long seeded = System.nanoTime();
        for (int i = 0; i < pods; i++) {
          admin
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .applyPod(ApplyPodRequest.newBuilder().setPod(pod(i)).build());
        }
        agent.await("every pod ready", () -> ready(admin) == pods, 300_000);
        double toReady = (System.nanoTime() - seeded) / 1e9;

        long revBefore = revision(admin);
        double cpuBefore = agent.cpuMillis();
        long start = System.nanoTime();
        agent.await(
            "steady state",
            () -> System.nanoTime() - start > TimeUnit.SECONDS.toNanos(seconds),
            seconds * 1000L + 10_000);
        double elapsed = (System.nanoTime() - start) / 1e9;
        double cpu = agent.cpuMillis() - cpuBefore;
        long steadyWrites = revision(admin) - revBefore;

        int failing = pods / 10;
        listeners.stop(failing);
        long failedAt = System.nanoTime();
        double cpuFailBefore = agent.cpuMillis();
        long revFail = revision(admin);
        agent.await("a tenth not ready", () -> ready(admin) == pods - failing, 120_000);
        double toNotReady = (System.nanoTime() - failedAt) / 1e9;
        long failWrites = revision(admin) - revFail;
        double failCpu = agent.cpuMillis() - cpuFailBefore;

        System.out.printf(
            "%n| pods probed (tcpSocket, 1 s) | agent CPU, steady | etcd writes/s, steady"
                + " | all ready after seeding | %d pods failing: writes | ... all not ready after |"
                + " agent CPU meanwhile |%n|---|---|---|---|---|---|---|%n",
            failing);
        System.out.printf(
            "| %d | %.1f%% of a core (%.0f µs per probe) | %.2f | %.1f s | %d | %.1f s | %.0f ms |%n",
            pods,
            100 * cpu / (elapsed * 1000),
            cpu * 1000 / (pods * elapsed),
            steadyWrites / elapsed,
            toReady,
            failWrites,
            toNotReady,
            failCpu);
      } finally {
        channel.shutdownNow();
      }
    }
    scratch.finished();
  }

  private static long ready(AdminGrpc.AdminBlockingStub admin) {
    PodList list =
        admin
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .listPods(ListRequest.newBuilder().setNamespace("default").build());
    return list.getItemsList().stream().filter(p -> p.getStatus().getReady()).count();
  }

  private static long revision(AdminGrpc.AdminBlockingStub admin) {
    return admin
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .listPods(ListRequest.newBuilder().setNamespace("no-such-namespace").build())
        .getResourceVersion();
  }

  private static Pod pod(int i) {
    return Pod.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder()
                .setNamespace("default")
                .setName("p-" + i)
                .putLabels("app", "probed"))
        .setSpec(
            PodSpec.newBuilder()
                .setNodeName(NODE)
                .addContainers(
                    Container.newBuilder()
                        .setName("main")
                        .addPorts(
                            ContainerPort.newBuilder().setName("http").setContainerPort(POD_PORT))
                        .setReadinessProbe(
                            Probe.newBuilder()
                                .setPeriodSeconds(1)
                                .setTcpSocket(
                                    TCPSocketAction.newBuilder()
                                        .setPort(IntOrString.newBuilder().setStrValue("http"))))))
        .setStatus(PodStatus.newBuilder().setPodIp(ip(i)))
        .build();
  }

  /** 127.0.11.1 onwards: one loopback address per pod. */
  private static String ip(int i) {
    return "127.0." + (11 + i / 250) + "." + (1 + i % 250);
  }

  /**
   * One listener per pod on one selector thread: accepts and closes, as a pod's port would answer.
   */
  private static final class Listeners implements AutoCloseable {
    private final Selector selector = Selector.open();
    private final List<ServerSocketChannel> servers = new ArrayList<>();
    private final Thread thread;
    private volatile int stopped;

    Listeners(int pods) throws IOException {
      for (int i = 0; i < pods; i++) {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(new InetSocketAddress(ip(i), POD_PORT), 64);
        s.configureBlocking(false);
        s.register(selector, SelectionKey.OP_ACCEPT);
        servers.add(s);
      }
      thread = new Thread(this::loop, "pod-listeners");
      thread.setDaemon(true);
      thread.start();
    }

    private void loop() {
      while (selector.isOpen()) {
        try {
          selector.select(200);
          if (!selector.isOpen()) {
            return;
          }
          for (SelectionKey k : selector.selectedKeys()) {
            if (k.isValid() && k.isAcceptable()) {
              SocketChannel c = ((ServerSocketChannel) k.channel()).accept();
              if (c != null) {
                c.close();
              }
            }
          }
          selector.selectedKeys().clear();
          int n = stopped;
          for (int i = 0; i < n; i++) {
            if (servers.get(i).isOpen()) {
              servers.get(i).close();
            }
          }
        } catch (IOException | java.nio.channels.ClosedSelectorException e) {
          return;
        }
      }
    }

    /** The first {@code n} pods stop listening (their process died). */
    void stop(int n) {
      stopped = n;
      selector.wakeup();
    }

    @Override
    public void close() throws IOException {
      selector.close();
      for (ServerSocketChannel s : servers) {
        s.close();
      }
    }
  }

  private static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
