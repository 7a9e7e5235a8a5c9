package dev.switchboard.sbctl;

import java.util.List;
import java.util.Locale;

/** The resource names sbctl understands on its command line, with kubectl's short names. */
public enum ResourceType {
  SERVICES("services", "service", List.of("services", "service", "svc")),
  PODS("pods", "pod", List.of("pods", "pod", "po")),
  ENDPOINTS(
      "endpoints", "endpoints", List.of("endpoints", "ep", "endpointslices", "endpointslice")),
  NODES("nodes", "node", List.of("nodes", "node", "no"));

  private final String plural;
  private final String singular;
  private final List<String> names;

  ResourceType(String plural, String singular, List<String> names) {
    this.plural = plural;
    this.singular = singular;
    this.names = names;
  }

  /** As in {@code services "web" not found}. */
  public String plural() {
    return plural;
  }

  /** As in {@code service "web" deleted}. */
  public String singular() {
    return singular;
  }

  public static ResourceType parse(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (ResourceType t : values()) {
      if (t.names.contains(n)) {
        return t;
      }
    }
    throw new CommandFailure(
        "error: the server doesn't have a resource type \""
            + name
            + "\" (sbctl knows svc, pods, endpoints, nodes)");
  }
}
