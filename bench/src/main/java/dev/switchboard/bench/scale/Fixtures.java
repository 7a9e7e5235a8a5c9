package dev.switchboard.bench.scale;

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

/**
 * The benchmark's objects, deterministic by index: service i lives in namespace {@code
 * bench-(i/1000)}, selects {@code app=svc-i}, has one port (80 → named port http), and every tenth
 * one is a NodePort (so the NodePort range, 2,768 ports, holds 10,000 services); its pods are
 * {@code svc-i-j} with unique loopback IPs, spread over the nodes.
 */
final class Fixtures {
  private Fixtures() {}

  static String namespace(int service) {
    return "bench-" + service / 1000;
  }

  static String serviceName(int service) {
    return "svc-" + service;
  }

  static String podName(int service, int pod) {
    return "svc-" + service + "-" + pod;
  }

  static Service service(int i) {
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(namespace(i)).setName(serviceName(i)))
        .setSpec(
            ServiceSpec.newBuilder()
                .setType(i % 10 == 0 ? "NodePort" : "ClusterIP")
                .putSelector("app", serviceName(i))
                .addPorts(
                    ServicePort.newBuilder()
                        .setName("http")
                        .setProtocol("TCP")
                        .setPort(80)
                        .setTargetPort(IntOrString.newBuilder().setStrValue("http"))))
        .build();
  }

  /** A service outside the seeded range, for create-latency samples. */
  static Service extraService(int i) {
    return service(i).toBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("bench-extra").setName("extra-" + i))
        .build();
  }

  static Pod pod(int service, int pod, int podsPerService, int nodes) {
    int k = service * podsPerService + pod;
    return Pod.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder()
                .setNamespace(namespace(service))
                .setName(podName(service, pod))
                .putLabels("app", serviceName(service)))
        .setSpec(
            PodSpec.newBuilder()
                .setNodeName("node-" + (k % nodes))
                .addContainers(
                    Container.newBuilder()
                        .setName("app")
                        .addPorts(
                            ContainerPort.newBuilder()
                                .setName("http")
                                .setContainerPort(8080)
                                .setProtocol("TCP"))))
        .setStatus(
            PodStatus.newBuilder()
                .setPodIp("127." + (16 + (k >> 16)) + "." + (k >> 8 & 255) + "." + (k & 255))
                .setReady(true))
        .build();
  }
}
