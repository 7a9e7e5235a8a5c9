package dev.switchboard.controlplane.it;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.controlplane.ControlPlaneSecurity;
import dev.switchboard.controlplane.store.EtcdStore;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import io.grpc.ChannelCredentials;
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
 * A test's slice of a real cluster: one real etcd (shared by a test class), control-plane replicas
 * under a key prefix of the test's own, and real gRPC channels to them.
 */
final class Cluster implements AutoCloseable {
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  final EtcdProcess etcd;
  final String prefix = "/t" + PREFIXES.incrementAndGet() + "-" + System.nanoTime();
  private final List<ControlPlane> replicas = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private ControlPlaneConfig config;

  private ControlPlaneSecurity security = ControlPlaneSecurity.insecure();

  Cluster(EtcdProcess etcd) {
    this.etcd = etcd;
    this.config = ControlPlaneConfig.local(etcd.endpoint(), prefix);
  }

  Cluster withRanges(String serviceCidr, String nodePorts, String lbPools) {
    config = config.withRanges(serviceCidr, nodePorts, lbPools);
    return this;
  }

  Cluster withNodeLeaseTtl(Duration ttl) {
    config = config.withNodeLeaseTtl(ttl);
    return this;
  }

  Cluster withSecurity(ControlPlaneSecurity newSecurity) {
    security = newSecurity;
    return this;
  }

  ControlPlane start() {
    try {
      ControlPlane cp = ControlPlane.start(config, Telemetry.disabled(), security);
      replicas.add(cp);
      return cp;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A channel with {@code credentials} (TLS, a client certificate, a token, or none of these). */
  ManagedChannel channel(ControlPlane cp, ChannelCredentials credentials) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", cp.port(), credentials).build();
    channels.add(channel);
    return channel;
  }

  ManagedChannel channel(ControlPlane cp) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", cp.port()).usePlaintext().build();
    channels.add(channel);
    return channel;
  }

  AdminGrpc.AdminBlockingStub admin(ControlPlane cp) {
    return AdminGrpc.newBlockingStub(channel(cp)).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** A store on the same prefix, to look at etcd directly. */
  EtcdStore store() {
    return EtcdStore.connect(List.of(etcd.endpoint()), prefix, Duration.ofSeconds(5));
  }

  void stop(ControlPlane cp) {
    replicas.remove(cp);
    cp.close();
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    replicas.forEach(ControlPlane::close);
  }

  static Service service(String name, String type, int... ports) {
    ServiceSpec.Builder spec = ServiceSpec.newBuilder().setType(type).putSelector("app", name);
    for (int i = 0; i < ports.length; i++) {
      ServicePort.Builder port = ServicePort.newBuilder().setPort(ports[i]);
      if (ports.length > 1) {
        port.setName("p" + i);
      }
      spec.addPorts(port);
    }
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name))
        .setSpec(spec)
        .build();
  }

  static Pod pod(String name, String app, String ip, String node, boolean ready) {
    return Pod.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder().setNamespace("default").setName(name).putLabels("app", app))
        .setSpec(
            PodSpec.newBuilder()
                .setNodeName(node)
                .addContainers(
                    Container.newBuilder()
                        .setName("main")
                        .addPorts(
                            ContainerPort.newBuilder().setName("http").setContainerPort(8080))))
        .setStatus(PodStatus.newBuilder().setPodIp(ip).setReady(ready))
        .build();
  }
}
