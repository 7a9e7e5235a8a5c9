package dev.switchboard.e2e;

import static org.awaitility.Awaitility.await;

import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A whole cluster for one test, every component a process of its own: a real etcd, one or more
 * control-plane replicas, node agents, optionally cloud-lb. Logs go to {@code
 * target/e2e-logs/<test>/}. Each wait is bounded (Awaitility); closing stops everything.
 */
final class E2eCluster implements AutoCloseable {
  private static final Pattern STATUS = Pattern.compile("version (\\d+)");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(40);

  final Net net = Net.random();
  final EtcdProcess etcd;
  private final Path logs;
  private final List<JavaProcess> controlPlanes = new ArrayList<>();
  private final List<Integer> controlPlanePorts = new ArrayList<>();
  private final List<JavaProcess> agents = new ArrayList<>();
  private final List<Integer> agentAdminPorts = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private JavaProcess cloudLb;

  private E2eCluster(String test) {
    this.logs = Path.of("target", "e2e-logs", test);
    this.etcd = EtcdProcess.start();
  }

  /**
   * Starts etcd, {@code replicas} control planes (node leases of {@code leaseTtl}), {@code nodes}
   * agents on the first replica, and cloud-lb when asked; returns once all are ready.
   */
  static E2eCluster start(String test, int replicas, String leaseTtl, int nodes, boolean lb) {
    return start(test, replicas, leaseTtl, nodes, lb, List.of());
  }

  /** As above, with more control-plane flags (e.g. a smaller {@code --node-port-range}). */
  static E2eCluster start(
      String test,
      int replicas,
      String leaseTtl,
      int nodes,
      boolean lb,
      List<String> controlPlaneFlags) {
    E2eCluster c = new E2eCluster(test);
    try {
      for (int i = 0; i < replicas; i++) {
        int port = EtcdProcess.freePort();
        c.controlPlanePorts.add(port);
        List<String> flags =
            new ArrayList<>(
                List.of(
                    "--etcd-endpoints",
                    c.etcd.endpoint(),
                    "--listen",
                    "127.0.0.1:" + port,
                    "--service-cidr",
                    c.net.serviceCidr(),
                    "--lb-pools",
                    c.net.lbPool(),
                    "--node-lease-ttl",
                    leaseTtl,
                    "--etcd-wait",
                    "60s",
                    // Security is the launcher's end-to-end test's subject; these test failures.
                    "--insecure"));
        flags.addAll(controlPlaneFlags);
        c.controlPlanes.add(
            new JavaProcess(
                    "control-plane-" + i,
                    c.logs.resolve("control-plane-" + i + ".log"),
                    "dev.switchboard.controlplane.Main",
                    flags)
                .start());
      }
      for (int i = 0; i < replicas; i++) {
        c.awaitControlPlane(i);
      }
      for (int n = 1; n <= nodes; n++) {
        int adminPort = EtcdProcess.freePort();
        c.agentAdminPorts.add(adminPort);
        c.agents.add(
            new JavaProcess(
                    "node-" + n,
                    c.logs.resolve("node-" + n + ".log"),
                    "dev.switchboard.agent.Main",
                    List.of(
                        "--node-name",
                        "node-" + n,
                        "--node-address",
                        c.net.node(n),
                        "--control-plane",
                        c.controlPlaneTarget(0),
                        "--cluster-ip-mode",
                        "local",
                        "--service-cidr",
                        c.net.serviceCidr(),
                        "--admin-port",
                        Integer.toString(adminPort),
                        "--insecure"))
                .start());
      }
      if (lb) {
        c.cloudLb =
            new JavaProcess(
                    "cloud-lb",
                    c.logs.resolve("cloud-lb.log"),
                    "dev.switchboard.lb.Main",
                    List.of(
                        "--name",
                        "cloud-lb",
                        "--control-plane",
                        c.controlPlaneTarget(0),
                        "--health-interval",
                        "1s",
                        "--insecure"))
                .start();
      }
      for (int n = 1; n <= nodes; n++) {
        int i = n - 1;
        await("node-" + n + " ready")
            .atMost(START_TIMEOUT)
            .pollInterval(Duration.ofMillis(100))
            .until(() -> c.httpStatus(c.agentUrl(i, "/readyz")) == 200);
      }
      if (lb) {
        await("cloud-lb connected")
            .atMost(START_TIMEOUT)
            .pollInterval(Duration.ofMillis(100))
            .until(() -> c.cloudLb.logText().contains("discovery: connected"));
      }
      return c;
    } catch (RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  String controlPlaneTarget(int replica) {
    return "127.0.0.1:" + controlPlanePorts.get(replica);
  }

  /** A blocking Admin stub on {@code replica} (waits for the channel to be ready). */
  AdminGrpc.AdminBlockingStub admin(int replica) {
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(controlPlaneTarget(replica)).usePlaintext().build();
    channels.add(channel);
    return AdminGrpc.newBlockingStub(channel).withWaitForReady();
  }

  JavaProcess controlPlane(int replica) {
    return controlPlanes.get(replica);
  }

  JavaProcess agent(int n) {
    return agents.get(n - 1);
  }

  JavaProcess cloudLb() {
    return cloudLb;
  }

  /** Starts a killed or stopped replica again on its port and waits until it serves. */
  void restartControlPlane(int replica) {
    JavaProcess cp = controlPlanes.get(replica);
    int before = count(cp.logText(), "serving on");
    cp.start();
    await(cp.name + " serving again")
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> count(cp.logText(), "serving on") > before);
  }

  /** The version node agent {@code n} has programmed (its /statusz), or -1 if unreachable. */
  long agentVersion(int n) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(agentUrl(n - 1, "/statusz")))
                  .timeout(Duration.ofSeconds(1))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      Matcher m = STATUS.matcher(r.body());
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Waits until every live node agent has programmed {@code version} (etcd revision). */
  void awaitAgentsAt(long version, Duration timeout) {
    for (int n = 1; n <= agents.size(); n++) {
      int node = n;
      if (agents.get(n - 1).alive()) {
        await("node-" + n + " programs version " + version)
            .atMost(timeout)
            .pollInterval(Duration.ofMillis(20))
            .until(() -> agentVersion(node) >= version);
      }
    }
  }

  int agentCount() {
    return agents.size();
  }

  private void awaitControlPlane(int replica) {
    JavaProcess cp = controlPlanes.get(replica);
    await(cp.name + " serving")
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .failFast(cp.name + " exited:\n" + cp.tail(), () -> !cp.alive())
        .until(() -> cp.logText().contains("serving on"));
  }

  private String agentUrl(int index, String path) {
    return "http://" + net.node(index + 1) + ":" + agentAdminPorts.get(index) + path;
  }

  private int httpStatus(String url) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(1)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (cloudLb != null) {
      cloudLb.close();
    }
    agents.forEach(JavaProcess::close);
    controlPlanes.forEach(JavaProcess::close);
    etcd.close();
  }
}
