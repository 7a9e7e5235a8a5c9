package dev.switchboard.lb.it;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.lb.CloudLb;
import dev.switchboard.lb.LbConfig;
import dev.switchboard.lb.nodes.HealthOptions;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Role;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test's cluster: a real control plane (in this JVM) on a real etcd under a key prefix of its
 * own, a gRPC channel to it, stand-in nodes and load balancers, all closed together.
 */
final class LbCluster implements AutoCloseable {
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  /** Fast checks, so that tests see transitions in well under a second. */
  static final HealthOptions FAST_HEALTH = HealthOptions.of(Duration.ofMillis(200), 2, 2);

  private final ControlPlaneConfig config;
  private ControlPlane controlPlane;
  final int port;
  final ManagedChannel channel;
  final AdminGrpc.AdminBlockingStub admin;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  LbCluster(EtcdProcess etcd) {
    this(etcd, 0);
  }

  /**
   * With {@code port} > 0 the control plane keeps that port across {@link #restartControlPlane}.
   */
  LbCluster(EtcdProcess etcd, int port) {
    config =
        ControlPlaneConfig.local(
                etcd.endpoint(), "/lb" + PREFIXES.incrementAndGet() + "-" + System.nanoTime())
            .withListenPort(port);
    controlPlane = startControlPlane();
    this.port = controlPlane.port();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", this.port).usePlaintext().build();
    admin = AdminGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private ControlPlane startControlPlane() {
    try {
      return ControlPlane.start(config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  ControlPlane controlPlane() {
    return controlPlane;
  }

  /**
   * What the control plane last heard from a load balancer: "" for an ACK, else the NACK detail.
   */
  String lastNack(String lbName) {
    return controlPlane.discovery().subscribers().stream()
        .filter(s -> s.nodeName().equals(lbName) && s.role() == Role.LOAD_BALANCER)
        .map(s -> s.lastNack())
        .findFirst()
        .orElse("(not subscribed)");
  }

  void stopControlPlane() {
    controlPlane.close();
    controlPlane = null;
  }

  void restartControlPlane() {
    controlPlane = startControlPlane();
  }

  /** A registered node on {@code 127.0.1.N}. */
  StandInNode node(String name, int n) {
    return closeLater(StandInNode.register(channel, name, "127.0.1." + n));
  }

  CloudLb loadBalancer(String name) {
    return loadBalancer(name, FAST_HEALTH);
  }

  CloudLb loadBalancer(String name, HealthOptions health) {
    return closeLater(
        CloudLb.start(
            LbConfig.of(name, "127.0.0.1:" + port)
                .withHealth(health)
                .withIoThreads(2)
                .withReconnectMax(Duration.ofMillis(500))
                .withResyncInterval(Duration.ofMillis(500))));
  }

  Service apply(Service s) {
    return admin.applyService(ApplyServiceRequest.newBuilder().setService(s).build());
  }

  Service get(String name) {
    return admin.getService(GetRequest.newBuilder().setNamespace("default").setName(name).build());
  }

  /** A LoadBalancer service with one TCP port 80 (and, when asked, UDP port 53). */
  static Service.Builder lbService(String name, boolean udpToo) {
    ServiceSpec.Builder spec =
        ServiceSpec.newBuilder()
            .setType("LoadBalancer")
            .putSelector("app", name)
            .addPorts(ServicePort.newBuilder().setName("http").setProtocol("TCP").setPort(80));
    if (udpToo) {
      spec.addPorts(ServicePort.newBuilder().setName("dns").setProtocol("UDP").setPort(53));
    }
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name))
        .setSpec(spec);
  }

  <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        throw new IllegalStateException("closing " + closeables.get(i), e);
      }
    }
    channel.shutdownNow();
    if (controlPlane != null) {
      controlPlane.close();
    }
  }
}
