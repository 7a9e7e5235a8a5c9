package dev.switchboard.v1;

import java.util.Arrays;
import java.util.List;

/** Annotations on our objects that more than one component reads. */
public final class Annotations {
  /**
   * On a LoadBalancer Service, {@code "v2"}: cloud-lb opens each connection to a node with a PROXY
   * protocol v2 header naming the client, and the node agents' NodePorts of the service accept it
   * (so ClientIP affinity and traces see the real client). Any other value: no header.
   */
  public static final String PROXY_PROTOCOL = "switchboard.dev/proxy-protocol";

  /**
   * Kubernetes' deprecated form of {@code spec.loadBalancerSourceRanges} ({@code "10.0.0.0/8,
   * 192.168.0.0/16"}), which Kubernetes still validates and its cloud providers still honour when
   * the field is empty. The control plane validates it and cloud-lb enforces it, so a manifest
   * restricted this way is never served open.
   */
  public static final String LOAD_BALANCER_SOURCE_RANGES =
      "service.beta.kubernetes.io/load-balancer-source-ranges";

  /**
   * The CIDRs of a {@link #LOAD_BALANCER_SOURCE_RANGES} value, split as Kubernetes does: on commas,
   * each entry trimmed, none for a blank value. Entries are not checked here (an empty one stays,
   * for the caller to refuse).
   */
  public static List<String> sourceRanges(String value) {
    String trimmed = value.trim();
    return trimmed.isEmpty()
        ? List.of()
        : Arrays.stream(trimmed.split(",", -1)).map(String::trim).toList();
  }

  private Annotations() {}
}
