package dev.switchboard.agent;

import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointConditions;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;

/** Small builders of the objects the control plane sends, for unit tests. */
public final class Protos {
  private Protos() {}

  public static ObjectMeta meta(String name) {
    return ObjectMeta.newBuilder().setNamespace("default").setName(name).build();
  }

  public static ServiceSpec.Builder spec(String type, String clusterIp) {
    return ServiceSpec.newBuilder().setType(type).setClusterIp(clusterIp);
  }

  public static ServicePort port(String name, String protocol, int port, int nodePort) {
    return ServicePort.newBuilder()
        .setName(name)
        .setProtocol(protocol)
        .setPort(port)
        .setNodePort(nodePort)
        .build();
  }

  public static Service service(String name, ServiceSpec.Builder spec) {
    return Service.newBuilder().setMetadata(meta(name)).setSpec(spec).build();
  }

  public static Endpoint endpoint(
      String address,
      String node,
      boolean ready,
      boolean serving,
      boolean terminating,
      EndpointPort... ports) {
    Endpoint.Builder b =
        Endpoint.newBuilder()
            .setAddress(address)
            .setNodeName(node)
            .setConditions(
                EndpointConditions.newBuilder()
                    .setReady(ready)
                    .setServing(serving)
                    .setTerminating(terminating));
    for (EndpointPort p : ports) {
      b.addPorts(p);
    }
    return b.build();
  }

  public static EndpointPort endpointPort(String name, int port) {
    return EndpointPort.newBuilder().setName(name).setPort(port).build();
  }

  public static Endpoints endpoints(String service, Endpoint... endpoints) {
    Endpoints.Builder b = Endpoints.newBuilder().setMetadata(meta(service));
    for (Endpoint e : endpoints) {
      b.addEndpoints(e);
    }
    return b.build();
  }

  public static Resource resource(Service s) {
    return Resource.newBuilder().setService(s).build();
  }

  public static Resource resource(Endpoints e) {
    return Resource.newBuilder().setEndpoints(e).build();
  }
}
