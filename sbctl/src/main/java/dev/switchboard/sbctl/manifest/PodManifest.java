package dev.switchboard.sbctl.manifest;

import static dev.switchboard.sbctl.manifest.ServiceManifest.putIfSet;
import static dev.switchboard.sbctl.manifest.ServiceManifest.setIfPresent;

import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code v1 Pod} YAML ↔ {@link Pod}. A pod here is an address with labels and named ports:
 * everything about running containers is accepted and dropped, so a real pod manifest (or {@code
 * kubectl get pod -o yaml}) applies as is.
 */
public final class PodManifest {
  /** Every other core/v1 PodSpec field. */
  public static final List<String> IGNORED_SPEC =
      List.of(
          "volumes",
          "initContainers",
          "ephemeralContainers",
          "restartPolicy",
          "terminationGracePeriodSeconds",
          "activeDeadlineSeconds",
          "dnsPolicy",
          "nodeSelector",
          "serviceAccountName",
          "serviceAccount",
          "automountServiceAccountToken",
          "hostNetwork",
          "hostPID",
          "hostIPC",
          "shareProcessNamespace",
          "securityContext",
          "imagePullSecrets",
          "hostname",
          "subdomain",
          "affinity",
          "schedulerName",
          "tolerations",
          "hostAliases",
          "priorityClassName",
          "priority",
          "dnsConfig",
          "readinessGates",
          "runtimeClassName",
          "enableServiceLinks",
          "preemptionPolicy",
          "overhead",
          "topologySpreadConstraints",
          "setHostnameAsFQDN",
          "os",
          "hostUsers",
          "schedulingGates",
          "resourceClaims",
          "resources");

  /**
   * Every other core/v1 Container field. A liveness probe is dropped: nothing here restarts a
   * process (readiness and startup probes are kept, and run by the pod's node agent).
   */
  public static final List<String> IGNORED_CONTAINER =
      List.of(
          "image",
          "command",
          "args",
          "workingDir",
          "envFrom",
          "env",
          "resources",
          "resizePolicy",
          "restartPolicy",
          "volumeMounts",
          "volumeDevices",
          "livenessProbe",
          "lifecycle",
          "terminationMessagePath",
          "terminationMessagePolicy",
          "imagePullPolicy",
          "securityContext",
          "stdin",
          "stdinOnce",
          "tty");

  /** ContainerPort fields about the node's own ports, which pods here do not take. */
  public static final List<String> IGNORED_PORT = List.of("hostPort", "hostIP");

  /** Every other core/v1 PodStatus field: the Ready condition and podIP are what matter. */
  public static final List<String> IGNORED_STATUS =
      List.of(
          "phase",
          "message",
          "reason",
          "nominatedNodeName",
          "hostIP",
          "hostIPs",
          "podIPs",
          "startTime",
          "initContainerStatuses",
          "containerStatuses",
          "ephemeralContainerStatuses",
          "qosClass",
          "resize",
          "resourceClaimStatuses",
          "observedGeneration");

  /** PodCondition fields other than type and status. */
  public static final List<String> IGNORED_CONDITION =
      List.of("lastProbeTime", "lastTransitionTime", "reason", "message", "observedGeneration");

  private PodManifest() {}

  static Pod read(Fields root) {
    Pod.Builder pod = Pod.newBuilder();
    Fields meta = root.object("metadata");
    pod.setMetadata(Metadata.read(meta));
    boolean terminating = meta.value("deletionTimestamp") != null;
    meta.finish();
    Fields spec = root.object("spec");
    PodSpec.Builder s = PodSpec.newBuilder();
    setIfPresent(spec.string("nodeName"), s::setNodeName);
    for (Fields container : spec.objects("containers")) {
      s.addContainers(container(container));
    }
    spec.ignore(IGNORED_SPEC.toArray(String[]::new));
    spec.finish();
    pod.setSpec(s);
    pod.setStatus(status(root.object("status")).setTerminating(terminating));
    return pod.build();
  }

  private static Container container(Fields c) {
    Container.Builder b = Container.newBuilder();
    setIfPresent(c.string("name"), b::setName);
    for (Fields port : c.objects("ports")) {
      ContainerPort.Builder p = ContainerPort.newBuilder();
      setIfPresent(port.string("name"), p::setName);
      Integer number = port.int32("containerPort");
      if (number != null) {
        p.setContainerPort(number);
      }
      setIfPresent(port.string("protocol"), p::setProtocol);
      port.ignore(IGNORED_PORT.toArray(String[]::new));
      port.finish();
      b.addPorts(p);
    }
    Fields readiness = c.object("readinessProbe");
    if (readiness.present()) {
      b.setReadinessProbe(ProbeManifest.read(readiness));
    }
    Fields startup = c.object("startupProbe");
    if (startup.present()) {
      b.setStartupProbe(ProbeManifest.read(startup));
    }
    c.ignore(IGNORED_CONTAINER.toArray(String[]::new));
    c.finish();
    return b.build();
  }

  private static PodStatus.Builder status(Fields status) {
    PodStatus.Builder b = PodStatus.newBuilder();
    setIfPresent(status.string("podIP"), b::setPodIp);
    for (Fields condition : status.objects("conditions")) {
      String type = condition.string("type");
      String value = condition.string("status");
      if (value != null && !List.of("True", "False", "Unknown").contains(value)) {
        condition
            .problems()
            .add(
                condition.child("status")
                    + ": unsupported value \""
                    + value
                    + "\": supported values: \"True\", \"False\", \"Unknown\"");
      }
      if ("Ready".equals(type)) {
        b.setReady("True".equals(value));
      }
      condition.ignore(IGNORED_CONDITION.toArray(String[]::new));
      condition.finish();
    }
    status.ignore(IGNORED_STATUS.toArray(String[]::new));
    status.finish();
    return b;
  }

  /**
   * The Pod as Kubernetes prints one. The time a pod started terminating is not stored, so a
   * terminating pod's {@code deletionTimestamp} is the time of printing: only its presence counts.
   */
  public static Map<String, Object> write(Pod pod, Clock clock) {
    Map<String, Object> metadata = Metadata.write(pod.getMetadata());
    if (pod.getStatus().getTerminating()) {
      metadata.put("deletionTimestamp", Metadata.timestamp(clock.millis()));
    }
    Map<String, Object> m = Metadata.object("v1", "Pod", metadata);
    Map<String, Object> spec = new TreeMap<>();
    putIfSet(spec, "nodeName", pod.getSpec().getNodeName());
    List<Object> containers = new ArrayList<>();
    for (Container c : pod.getSpec().getContainersList()) {
      Map<String, Object> container = new TreeMap<>();
      putIfSet(container, "name", c.getName());
      List<Object> ports = new ArrayList<>();
      for (ContainerPort p : c.getPortsList()) {
        Map<String, Object> port = new TreeMap<>();
        putIfSet(port, "name", p.getName());
        port.put("containerPort", p.getContainerPort());
        putIfSet(port, "protocol", p.getProtocol());
        ports.add(port);
      }
      if (!ports.isEmpty()) {
        container.put("ports", ports);
      }
      if (c.hasReadinessProbe()) {
        container.put("readinessProbe", ProbeManifest.write(c.getReadinessProbe()));
      }
      if (c.hasStartupProbe()) {
        container.put("startupProbe", ProbeManifest.write(c.getStartupProbe()));
      }
      containers.add(container);
    }
    spec.put("containers", containers);
    m.put("spec", spec);
    Map<String, Object> status = new TreeMap<>();
    putIfSet(status, "podIP", pod.getStatus().getPodIp());
    status.put("phase", pod.getStatus().getPodIp().isEmpty() ? "Pending" : "Running");
    Map<String, Object> ready =
        new TreeMap<>(
            Map.of("type", "Ready", "status", pod.getStatus().getReady() ? "True" : "False"));
    if (!pod.getStatus().getReadyMessage().isEmpty()) {
      ready.put("reason", "ContainersNotReady");
      ready.put("message", pod.getStatus().getReadyMessage());
    }
    status.put("conditions", List.of(ready));
    m.put("status", status);
    return m;
  }
}
