package dev.switchboard.agent.it;

import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.AgentConfig;
import dev.switchboard.agent.NodeAgent;
import dev.switchboard.agent.dns.DnsConfig;
import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.controlplane.discovery.DiscoveryService.SubscriberStatus;
import dev.switchboard.discovery.client.Backoff;
import dev.switchboard.discovery.client.ExponentialBackoff;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import dev.switchboard.v1.SetPodConditionsRequest;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A test's cluster: a control plane on a fixed free port under a key prefix of its own (so it can
 * be stopped and started again in place), real agents in this JVM, and the Admin API as a user
 * calls it.
 */
final class AgentCluster implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(20);
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  final EtcdProcess etcd;
  final String prefix = "/agent-it" + PREFIXES.incrementAndGet() + "-" + System.nanoTime();
  final int controlPlanePort = EtcdProcess.freePort();
  final List<NodeAgent> agents = new ArrayList<>();
  private final ManagedChannel channel;
  private final Function<String, Telemetry> telemetry;
  private final List<Telemetry> telemetries = new ArrayList<>();
  private ControlPlane controlPlane;

  AgentCluster(EtcdProcess etcd) {
    this(etcd, component -> Telemetry.disabled());
  }

  /**
   * @param telemetry the telemetry of each component started: {@code control-plane}, or the node's
   *     name (closed with the cluster)
   */
  AgentCluster(EtcdProcess etcd, Function<String, Telemetry> telemetry) {
    this.etcd = etcd;
    this.telemetry = telemetry;
    this.channel =
        NettyChannelBuilder.forAddress("127.0.0.1", controlPlanePort).usePlaintext().build();
  }

  ControlPlane startControlPlane() {
    try {
      controlPlane =
          ControlPlane.start(
              ControlPlaneConfig.local(etcd.endpoint(), prefix).withListenPort(controlPlanePort),
              telemetryOf("control-plane"),
              dev.switchboard.controlplane.ControlPlaneSecurity.insecure());
      return controlPlane;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void stopControlPlane() {
    controlPlane.close();
    controlPlane = null;
  }

  ControlPlane controlPlane() {
    return controlPlane;
  }

  /**
   * An agent with test-sized intervals: syncs at most every 20 ms, resyncs every 500 ms, quick
   * reconnects.
   */
  NodeAgent startAgent(String node, String address) {
    return startAgent(
        node,
        address,
        new ExponentialBackoff(
            Duration.ofMillis(50),
            Duration.ofMillis(500),
            2.0,
            0.2,
            () -> ThreadLocalRandom.current().nextDouble()));
  }

  NodeAgent startAgent(String node, String address, Backoff backoff) {
    return startAgent(node, address, backoff, DnsConfig.DISABLED);
  }

  /**
   * An agent as {@link #startAgent(String, String)}, also serving cluster DNS as {@code dns} says.
   */
  NodeAgent startAgent(String node, String address, DnsConfig dns) {
    return startAgent(
        node,
        address,
        new ExponentialBackoff(
            Duration.ofMillis(50),
            Duration.ofMillis(500),
            2.0,
            0.2,
            () -> ThreadLocalRandom.current().nextDouble()),
        dns);
  }

  private NodeAgent startAgent(String node, String address, Backoff backoff, DnsConfig dns) {
    AgentConfig config =
        AgentConfig.local(node, Net.ip(address), "127.0.0.1:" + controlPlanePort)
            .withAdminPort(Net.freePort(address))
            .withSyncIntervals(Duration.ofMillis(20), Duration.ofMillis(500))
            .withBackoff(backoff)
            .withIoThreads(1)
            .withDns(dns);
    try {
      NodeAgent agent =
          NodeAgent.start(config, telemetryOf(node), InsecureChannelCredentials.create());
      agents.add(agent);
      return agent;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Telemetry telemetryOf(String component) {
    Telemetry t = telemetry.apply(component);
    telemetries.add(t);
    return t;
  }

  AdminGrpc.AdminBlockingStub admin() {
    return AdminGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  Service apply(Service.Builder service) {
    return admin().applyService(ApplyServiceRequest.newBuilder().setService(service).build());
  }

  Pod apply(Pod pod) {
    return admin().applyPod(ApplyPodRequest.newBuilder().setPod(pod).build());
  }

  Pod setTerminating(String pod) {
    return admin()
        .setPodConditions(
            SetPodConditionsRequest.newBuilder()
                .setNamespace("default")
                .setName(pod)
                .setTerminating(true)
                .build());
  }

  Pod deletePod(String pod) {
    return admin()
        .deletePod(DeleteRequest.newBuilder().setNamespace("default").setName(pod).build());
  }

  /** The etcd revision now (a list reads etcd): every write made before is at or below it. */
  long currentRevision() {
    return admin()
        .listPods(ListRequest.newBuilder().setNamespace("default").build())
        .getResourceVersion();
  }

  /** Waits until every agent has programmed a version at least {@code version}. */
  void awaitProgrammed(long version) {
    await()
        .atMost(WAIT)
        .until(() -> agents.stream().allMatch(a -> a.programmedVersion() >= version));
  }

  Optional<SubscriberStatus> subscriber(String node) {
    return controlPlane.discovery().subscribers().stream()
        .filter(s -> s.nodeName().equals(node))
        .findFirst();
  }

  /** A service selecting pods labelled app=NAME. */
  static Service.Builder service(String name, String type, ServicePort... ports) {
    ServiceSpec.Builder spec = ServiceSpec.newBuilder().setType(type).putSelector("app", name);
    for (ServicePort p : ports) {
      spec.addPorts(p);
    }
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name))
        .setSpec(spec);
  }

  /** A service port sending to the pods' container port of the same name. */
  static ServicePort port(String name, String protocol, int port, int nodePort) {
    return ServicePort.newBuilder()
        .setName(name)
        .setProtocol(protocol)
        .setPort(port)
        .setNodePort(nodePort)
        .setTargetPort(IntOrString.newBuilder().setStrValue(name))
        .build();
  }

  /** A ready pod of app {@code app} on {@code node}, with named ports (name, protocol, number). */
  static Pod pod(String name, String app, String ip, String node, Object... ports) {
    Container.Builder c = Container.newBuilder().setName("main");
    for (int i = 0; i < ports.length; i += 3) {
      c.addPorts(
          ContainerPort.newBuilder()
              .setName((String) ports[i])
              .setProtocol((String) ports[i + 1])
              .setContainerPort((Integer) ports[i + 2]));
    }
    return Pod.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder().setNamespace("default").setName(name).putLabels("app", app))
        .setSpec(PodSpec.newBuilder().setNodeName(node).addContainers(c))
        .setStatus(PodStatus.newBuilder().setPodIp(ip).setReady(true))
        .build();
  }

  @Override
  public void close() {
    agents.forEach(NodeAgent::close); // first: a control plane with no streams stops at once
    agents.clear();
    if (controlPlane != null) {
      stopControlPlane();
    }
    channel.shutdownNow();
    telemetries.forEach(Telemetry::close);
  }
}
