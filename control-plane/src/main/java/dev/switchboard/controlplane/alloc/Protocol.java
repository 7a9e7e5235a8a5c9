package dev.switchboard.controlplane.alloc;

import java.util.Locale;
import java.util.Optional;

/**
 * The transport protocols a service port can use here. TCP and UDP NodePorts are separate
 * allocations: a service may hold 30053/TCP while another holds 30053/UDP, as in Kubernetes.
 */
public enum Protocol {
  TCP,
  UDP;

  /** The Kubernetes spelling, "TCP" or "UDP". */
  public String apiName() {
    return name();
  }

  /** The segment used in allocation keys, "tcp" or "udp". */
  public String keySegment() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The protocol for a Kubernetes value ("TCP", "UDP"); empty for anything else, "SCTP" included.
   */
  public static Optional<Protocol> fromApiName(String value) {
    for (Protocol p : values()) {
      if (p.name().equals(value)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  static Optional<Protocol> fromKeySegment(String segment) {
    for (Protocol p : values()) {
      if (p.keySegment().equals(segment)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
