package dev.switchboard.controlplane.state;

import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.ResourceKey;

/** Identifies a published resource: kind, namespace (empty for nodes) and name. */
public record ResourceId(Kind kind, String namespace, String name) {
  public static ResourceId of(Resource resource) {
    return switch (resource.getKindCase()) {
      case SERVICE ->
          new ResourceId(
              Kind.SERVICE,
              resource.getService().getMetadata().getNamespace(),
              resource.getService().getMetadata().getName());
      case ENDPOINTS ->
          new ResourceId(
              Kind.ENDPOINTS,
              resource.getEndpoints().getMetadata().getNamespace(),
              resource.getEndpoints().getMetadata().getName());
      case NODE -> new ResourceId(Kind.NODE, "", resource.getNode().getMetadata().getName());
      case KIND_NOT_SET -> throw new IllegalArgumentException("resource: empty (expected: a kind)");
    };
  }

  public ResourceKey toProto() {
    return ResourceKey.newBuilder().setKind(kind).setNamespace(namespace).setName(name).build();
  }
}
