package dev.switchboard.controlplane.endpoints;

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
import java.util.List;
import java.util.Map;

/** Short builders for the objects the endpoint tests need. */
final class Fixtures {

  static final String NS = "default";

  private Fixtures() {}

  static Service service(
      String namespace, String name, Map<String, String> selector, ServicePort... ports) {
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(namespace).setName(name))
        .setSpec(ServiceSpec.newBuilder().putAllSelector(selector).addAllPorts(List.of(ports)))
        .build();
  }

  static Service service(String name, Map<String, String> selector, ServicePort... ports) {
    return service(NS, name, selector, ports);
  }

  /** A service port with a numeric target port (0: unset). */
  static ServicePort port(String name, String protocol, int port, int targetPort) {
    ServicePort.Builder b =
        ServicePort.newBuilder().setName(name).setProtocol(protocol).setPort(port);
    if (targetPort != 0) {
      b.setTargetPort(IntOrString.newBuilder().setIntValue(targetPort));
    }
    return b.build();
  }

  static ServicePort port(String name, int port, int targetPort) {
    return port(name, "TCP", port, targetPort);
  }

  /** A service port whose target port is a container port name. */
  static ServicePort namedPort(String name, String protocol, int port, String targetPort) {
    return ServicePort.newBuilder()
        .setName(name)
        .setProtocol(protocol)
        .setPort(port)
        .setTargetPort(IntOrString.newBuilder().setStrValue(targetPort))
        .build();
  }

  static ContainerPort containerPort(String name, int port, String protocol) {
    return ContainerPort.newBuilder()
        .setName(name)
        .setContainerPort(port)
        .setProtocol(protocol)
        .build();
  }

  static Pod pod(
      String namespace,
      String name,
      String ip,
      Map<String, String> labels,
      boolean ready,
      ContainerPort... ports) {
    return Pod.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder().setNamespace(namespace).setName(name).putAllLabels(labels))
        .setSpec(
            PodSpec.newBuilder()
                .setNodeName("node-1")
                .addContainers(Container.newBuilder().setName("main").addAllPorts(List.of(ports))))
        .setStatus(PodStatus.newBuilder().setPodIp(ip).setReady(ready))
        .build();
  }

  static Pod pod(
      String name, String ip, Map<String, String> labels, boolean ready, ContainerPort... ports) {
    return pod(NS, name, ip, labels, ready, ports);
  }

  static Pod withReady(Pod pod, boolean ready) {
    return pod.toBuilder().setStatus(pod.getStatus().toBuilder().setReady(ready)).build();
  }

  static Pod withTerminating(Pod pod, boolean terminating) {
    return pod.toBuilder()
        .setStatus(pod.getStatus().toBuilder().setTerminating(terminating))
        .build();
  }

  static Pod withLabels(Pod pod, Map<String, String> labels) {
    return pod.toBuilder()
        .setMetadata(pod.getMetadata().toBuilder().clearLabels().putAllLabels(labels))
        .build();
  }
}
