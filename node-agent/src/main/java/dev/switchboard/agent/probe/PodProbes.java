package dev.switchboard.agent.probe;

import dev.switchboard.v1.Container;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Probe;
import java.util.ArrayList;
import java.util.List;

/**
 * The probes of one pod and the Ready they add up to, as the kubelet decides it: a container is
 * ready once its startup probe (if any) has passed and while its readiness probe (if any) passes;
 * the pod is ready when every container is. Readiness probes of a container wait for its startup
 * probe. Confined to the prober's executor.
 */
final class PodProbes {
  /** One probe of one container. */
  static final class Slot {
    final String container;
    final boolean startup;
    final ProbeState state;

    /** Set when a run is in flight or scheduled; the prober owns it. */
    java.util.concurrent.Future<?> next;

    boolean running;

    Slot(String container, boolean startup, Probe probe) {
      this.container = container;
      this.startup = startup;
      this.state = new ProbeState(probe);
    }
  }

  private final Pod pod;
  private final List<Slot> slots = new ArrayList<>();

  PodProbes(Pod pod) {
    this.pod = pod;
    for (Container c : pod.getSpec().getContainersList()) {
      if (c.hasStartupProbe()) {
        slots.add(new Slot(c.getName(), true, c.getStartupProbe()));
      }
      if (c.hasReadinessProbe()) {
        slots.add(new Slot(c.getName(), false, c.getReadinessProbe()));
      }
    }
  }

  /** Whether a pod has anything to probe (without probes its Ready is as written). */
  static boolean probed(Pod pod) {
    return pod.getSpec().getContainersList().stream()
        .anyMatch(c -> c.hasReadinessProbe() || c.hasStartupProbe());
  }

  /** Whether {@code other} needs the probes started afresh: its spec or address changed. */
  boolean sameProbes(Pod other) {
    return pod.getSpec().equals(other.getSpec())
        && pod.getStatus().getPodIp().equals(other.getStatus().getPodIp());
  }

  Pod pod() {
    return pod;
  }

  List<Slot> slots() {
    return slots;
  }

  /** Whether {@code slot} runs now: a readiness probe waits for its container's startup probe. */
  boolean active(Slot slot) {
    return slot.startup ? !slot.state.passing() : started(slot.container);
  }

  boolean ready() {
    for (Slot s : slots) {
      if (!s.state.passing()) {
        return false;
      }
    }
    return true;
  }

  /** Why the pod is not ready, in the kubelet's words; "" when ready. */
  String reason() {
    for (Slot s : slots) {
      if (!s.state.passing() && (s.startup || started(s.container))) {
        String kind = s.startup ? "Startup" : "Readiness";
        return s.state.lastFailure().isEmpty()
            ? kind + " probe has not passed yet"
            : kind + " probe failed: " + s.state.lastFailure();
      }
    }
    return "";
  }

  private boolean started(String container) {
    for (Slot s : slots) {
      if (s.startup && s.container.equals(container) && !s.state.passing()) {
        return false;
      }
    }
    return true;
  }
}
