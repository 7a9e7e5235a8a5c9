package dev.switchboard.e2e;

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

/** The objects the fault tests apply: a web service and its pods. */
final class Specs {
  static final String NS = "default";
  static final int SERVICE_PORT = 8080;

  private Specs() {}

  static ApplyServiceRequest service(String name, String type) {
    return ApplyServiceRequest.newBuilder()
        .setService(
            Service.newBuilder()
                .setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name))
                .setSpec(
                    ServiceSpec.newBuilder()
                        .setType(type)
                        .putSelector("app", name)
                        .addPorts(
                            ServicePort.newBuilder()
                                .setName("http")
                                .setProtocol("TCP")
                                .setPort(SERVICE_PORT)
                                .setTargetPort(IntOrString.newBuilder().setStrValue("http")))))
        .build();
  }

  static ApplyPodRequest pod(String app, String name, String node, String ip, boolean ready) {
    return ApplyPodRequest.newBuilder()
        .setPod(
            Pod.newBuilder()
                .setMetadata(
                    ObjectMeta.newBuilder().setNamespace(NS).setName(name).putLabels("app", app))
                .setSpec(
                    PodSpec.newBuilder()
                        .setNodeName(node)
                        .addContainers(
                            Container.newBuilder()
                                .setName("web")
                                .addPorts(
                                    ContainerPort.newBuilder()
                                        .setName("http")
                                        .setContainerPort(Backends.PORT)
                                        .setProtocol("TCP"))))
                .setStatus(PodStatus.newBuilder().setPodIp(ip).setReady(ready)))
        .build();
  }
}
