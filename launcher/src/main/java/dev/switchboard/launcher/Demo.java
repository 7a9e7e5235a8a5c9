package dev.switchboard.launcher;

import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.HTTPGetAction;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Probe;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo: one pod per node (at most 3) at 127.0.10.N:8080 answering with its pod and node name,
 * and a LoadBalancer service {@code demo} on port 80 selecting them.
 */
final class Demo {
  static final int POD_PORT = 8080;
  private final int pods;

  Demo(int nodes) {
    this.pods = Math.min(3, nodes);
  }

  /** What the summary shows of the demo service. */
  record Status(String clusterIp, int port, int nodePort, String externalIp) {}

  String[] podArgs() {
    List<String> args = new ArrayList<>();
    for (int i = 1; i <= pods; i++) {
      args.add("demo-" + i + "@node-" + i + "@127.0.10." + i + ":" + POD_PORT);
    }
    return args.toArray(String[]::new);
  }

  String podsDescription() {
    return pods + " pods on 127.0.10.1-" + pods + ":" + POD_PORT;
  }

  boolean podsListening() {
    for (int i = 1; i <= pods; i++) {
      if (LocalCluster.isFree("127.0.10." + i, POD_PORT)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Applies the service and pods, then waits until every pod is ready and the external IP answers.
   */
  Status apply(int controlPlanePort, Duration timeout, ChannelCredentials credentials)
      throws InterruptedException {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", controlPlanePort, credentials).build();
    try {
      AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(channel);
      admin
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .applyService(
              ApplyServiceRequest.newBuilder()
                  .setService(
                      Service.newBuilder()
                          .setMetadata(
                              ObjectMeta.newBuilder()
                                  .setNamespace("default")
                                  .setName("demo")
                                  .putLabels("app", "demo"))
                          .setSpec(
                              ServiceSpec.newBuilder()
                                  .setType("LoadBalancer")
                                  .putSelector("app", "demo")
                                  .addPorts(
                                      ServicePort.newBuilder()
                                          .setName("http")
                                          .setPort(80)
                                          .setTargetPort(
                                              IntOrString.newBuilder().setStrValue("http")))))
                  .build());
      for (int i = 1; i <= pods; i++) {
        admin
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .applyPod(
                ApplyPodRequest.newBuilder()
                    .setPod(
                        Pod.newBuilder()
                            .setMetadata(
                                ObjectMeta.newBuilder()
                                    .setNamespace("default")
                                    .setName("demo-" + i)
                                    .putLabels("app", "demo"))
                            .setSpec(
                                PodSpec.newBuilder()
                                    .setNodeName("node-" + i)
                                    .addContainers(
                                        Container.newBuilder()
                                            .setName("demo")
                                            .addPorts(
                                                ContainerPort.newBuilder()
                                                    .setName("http")
                                                    .setContainerPort(POD_PORT))
                                            // Health observed: each pod's node agent probes it
                                            // (stop the demo app,
                                            // and `bin/sbctl get pods` shows 0/1 within ~6 s).
                                            .setReadinessProbe(
                                                Probe.newBuilder()
                                                    .setPeriodSeconds(2)
                                                    .setHttpGet(
                                                        HTTPGetAction.newBuilder()
                                                            .setPath("/")
                                                            .setPort(
                                                                IntOrString.newBuilder()
                                                                    .setStrValue("http"))))))
                            .setStatus(
                                PodStatus.newBuilder().setPodIp("127.0.10." + i).setReady(true)))
                    .build());
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        try {
          Service s =
              admin
                  .withDeadlineAfter(5, TimeUnit.SECONDS)
                  .getService(
                      GetRequest.newBuilder().setNamespace("default").setName("demo").build());
          long ready =
              admin
                  .withDeadlineAfter(5, TimeUnit.SECONDS)
                  .getEndpoints(
                      GetRequest.newBuilder().setNamespace("default").setName("demo").build())
                  .getEndpointsList()
                  .stream()
                  .filter(e -> e.getConditions().getReady())
                  .count();
          // Every pod passed its first probe (its node agent reported it), and the LB answers.
          if (ready == pods && s.getStatus().getLoadBalancer().getIngressCount() > 0) {
            String ip = s.getStatus().getLoadBalancer().getIngress(0).getIp();
            if (answers(ip, 80)) {
              return new Status(
                  s.getSpec().getClusterIp(), 80, s.getSpec().getPorts(0).getNodePort(), ip);
            }
          }
        } catch (StatusRuntimeException e) {
          // not yet
        }
        Thread.sleep(200); // polling the cluster we just started; bounded by the deadline
      }
      throw new LaunchException(
          "demo service: no EXTERNAL-IP answering within "
              + timeout.toSeconds()
              + " s; see the cloud-lb and node logs");
    } finally {
      channel.shutdownNow();
    }
  }

  static boolean answers(String ip, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(ip, port), 1000);
      s.setSoTimeout(2000);
      s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("pod=");
    } catch (IOException e) {
      return false;
    }
  }
}
