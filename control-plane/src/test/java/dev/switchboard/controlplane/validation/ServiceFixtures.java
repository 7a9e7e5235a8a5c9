package dev.switchboard.controlplane.validation;

import dev.switchboard.controlplane.alloc.ClusterIpRange;
import dev.switchboard.controlplane.alloc.LbIpPools;
import dev.switchboard.controlplane.alloc.PortRange;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.util.List;

/** A valid service to break one rule at a time, and a validator configured as in the design. */
final class ServiceFixtures {
  static final ServiceValidator VALIDATOR =
      new ServiceValidator(
          ClusterIpRange.parse("10.96.0.0/12"), PortRange.DEFAULT, LbIpPools.parse("127.0.2.0/24"));

  private ServiceFixtures() {}

  static Service.Builder web() {
    return Service.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder().setNamespace("default").setName("web").putLabels("app", "web"))
        .setSpec(ServiceSpec.newBuilder().putSelector("app", "web").addPorts(port("http", 80)));
  }

  static ServicePort.Builder port(String name, int port) {
    return ServicePort.newBuilder()
        .setName(name)
        .setPort(port)
        .setTargetPort(IntOrString.newBuilder().setIntValue(port + 8000));
  }

  /** The messages for the service after defaulting, as a create. */
  static List<String> errors(Service.Builder service) {
    return VALIDATOR.validate(ServiceDefaults.apply(service.build())).stream()
        .map(FieldError::toString)
        .toList();
  }

  static List<String> updateErrors(Service.Builder old, Service.Builder updated) {
    Service before = ServiceDefaults.apply(old.build());
    Service after =
        ServiceDefaults.prepareForUpdate(before, ServiceDefaults.apply(updated.build()));
    return VALIDATOR.validateUpdate(before, after).stream().map(FieldError::toString).toList();
  }
}
