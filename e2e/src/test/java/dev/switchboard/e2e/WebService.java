package dev.switchboard.e2e;

import static org.awaitility.Awaitility.await;

import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.Service;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A LoadBalancer service {@code web} with {@code pods} ready pods spread over the cluster's nodes,
 * their servers running; returns once every agent has programmed the last pod, the external IP
 * answers through cloud-lb, and cloud-lb's health checks pass for every node.
 */
final class WebService {
  final String externalIp;
  final int nodePort;
  final Service service;

  private WebService(Service service) {
    this.service = service;
    this.externalIp = service.getStatus().getLoadBalancer().getIngress(0).getIp();
    this.nodePort = service.getSpec().getPorts(0).getNodePort();
  }

  static WebService create(E2eCluster cluster, Backends backends, int pods) {
    AdminGrpc.AdminBlockingStub admin = cluster.admin(0);
    admin
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .applyService(Specs.service("web", "LoadBalancer"));
    long version = 0;
    for (int i = 1; i <= pods; i++) {
      String ip = cluster.net.pod(i);
      backends.start("web-" + i, ip);
      version =
          admin
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .applyPod(
                  Specs.pod(
                      "web", "web-" + i, "node-" + (1 + (i - 1) % cluster.agentCount()), ip, true))
              .getMetadata()
              .getResourceVersion();
    }
    cluster.awaitAgentsAt(version, Duration.ofSeconds(20));
    Service[] ready = new Service[1];
    await("web has an external IP that answers")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              Service s =
                  admin
                      .withDeadlineAfter(5, TimeUnit.SECONDS)
                      .getService(
                          GetRequest.newBuilder().setNamespace(Specs.NS).setName("web").build());
              if (s.getStatus().getLoadBalancer().getIngressCount() == 0) {
                return false;
              }
              ready[0] = s;
              return answers(s.getStatus().getLoadBalancer().getIngress(0).getIp());
            });
    // Answering once proves one node is usable; tests that take a node away need them all.
    for (int n = 1; n <= cluster.agentCount(); n++) {
      String passes = "(node-" + n + "): passes";
      await("cloud-lb health-checks node-" + n + " as up")
          .atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> cluster.cloudLb().logText().contains(passes));
    }
    return new WebService(ready[0]);
  }

  private static boolean answers(String ip) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(ip, Specs.SERVICE_PORT), 1000);
      s.setSoTimeout(2000);
      s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("pod=");
    } catch (IOException e) {
      return false;
    }
  }
}
