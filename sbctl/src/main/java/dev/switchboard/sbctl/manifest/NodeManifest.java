package dev.switchboard.sbctl.manifest;

import dev.switchboard.v1.Node;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@link Node} as a {@code v1 Node}, for {@code get nodes -o yaml}. Output only: nodes are
 * registered by their agents' discovery streams, never applied.
 */
public final class NodeManifest {
  private NodeManifest() {}

  public static Map<String, Object> write(Node node) {
    Map<String, Object> m = Metadata.object("v1", "Node", Metadata.write(node.getMetadata()));
    Map<String, Object> status = new TreeMap<>();
    status.put(
        "addresses",
        List.of(new TreeMap<>(Map.of("type", "InternalIP", "address", node.getAddress()))));
    status.put(
        "conditions",
        List.of(
            new TreeMap<>(Map.of("type", "Ready", "status", node.getReady() ? "True" : "False"))));
    m.put("spec", Map.of());
    m.put("status", status);
    return m;
  }
}
