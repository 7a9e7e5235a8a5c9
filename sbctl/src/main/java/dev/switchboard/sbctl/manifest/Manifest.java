package dev.switchboard.sbctl.manifest;

import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;

/**
 * One object read from a manifest, with where it came from. Exactly one of service, pod and slice
 * is set.
 *
 * @param source the file as the user named it ({@code <stdin>} for {@code -f -})
 * @param document 1-based index of the YAML document in the file
 * @param item {@code items[i]} inside a {@code v1 List}, or null
 */
public record Manifest(
    String source,
    int document,
    String item,
    Service service,
    Pod pod,
    EndpointSliceManifest.Slice slice) {

  public String kind() {
    return service != null ? "Service" : pod != null ? "Pod" : "EndpointSlice";
  }

  /** kubectl's name for the resource, as in {@code service/web created}. */
  public String resource() {
    return service != null ? "service" : pod != null ? "pod" : "endpointslice.discovery.k8s.io";
  }

  public String name() {
    return service != null
        ? service.getMetadata().getName()
        : pod != null ? pod.getMetadata().getName() : slice.name();
  }

  public String namespace() {
    return service != null
        ? service.getMetadata().getNamespace()
        : pod != null ? pod.getMetadata().getNamespace() : slice.namespace();
  }

  /** {@code web.yaml: document 2 (Service "web")}: the prefix of every message about it. */
  public String where() {
    return where(source, document, item, kind(), name());
  }

  static String where(String source, int document, String item, String kind, String name) {
    StringBuilder b = new StringBuilder(source).append(": document ").append(document);
    if (item != null) {
      b.append(", ").append(item);
    }
    if (kind != null) {
      b.append(" (").append(kind);
      if (name != null && !name.isEmpty()) {
        b.append(" \"").append(name).append('"');
      }
      b.append(')');
    }
    return b.toString();
  }

  /** The same object in {@code namespace}. */
  public Manifest withNamespace(String namespace) {
    if (service != null) {
      return new Manifest(
          source,
          document,
          item,
          service.toBuilder().setMetadata(withNamespace(service.getMetadata(), namespace)).build(),
          null,
          null);
    }
    if (pod != null) {
      return new Manifest(
          source,
          document,
          item,
          null,
          pod.toBuilder().setMetadata(withNamespace(pod.getMetadata(), namespace)).build(),
          null);
    }
    return new Manifest(
        source,
        document,
        item,
        null,
        null,
        new EndpointSliceManifest.Slice(
            slice.name(), namespace, slice.service(), slice.endpoints()));
  }

  private static ObjectMeta withNamespace(ObjectMeta meta, String namespace) {
    return meta.toBuilder().setNamespace(namespace).build();
  }
}
