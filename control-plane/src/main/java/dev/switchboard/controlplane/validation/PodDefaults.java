package dev.switchboard.controlplane.validation;

import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.Pod;

/**
 * Kubernetes' defaults for the pod fields this mesh keeps: namespace "default", port protocol TCP,
 * and the probes' ({@link ProbeRules#defaults}).
 */
public final class PodDefaults {
  private PodDefaults() {}

  public static Pod apply(Pod pod) {
    Pod.Builder b = pod.toBuilder();
    if (b.getMetadata().getNamespace().isEmpty()) {
      b.getMetadataBuilder().setNamespace(ServiceDefaults.DEFAULT_NAMESPACE);
    }
    for (Container.Builder c : b.getSpecBuilder().getContainersBuilderList()) {
      for (ContainerPort.Builder p : c.getPortsBuilderList()) {
        if (p.getProtocol().isEmpty()) {
          p.setProtocol("TCP");
        }
      }
      if (c.hasReadinessProbe()) {
        c.setReadinessProbe(ProbeRules.defaults(c.getReadinessProbe()));
      }
      if (c.hasStartupProbe()) {
        c.setStartupProbe(ProbeRules.defaults(c.getStartupProbe()));
      }
    }
    return b.build();
  }
}
