package dev.switchboard.sbctl.commands;

import com.google.protobuf.Message;
import dev.switchboard.sbctl.ResourceType;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;

/**
 * One object to print, whatever its kind.
 *
 * @param createdMillis creation time; for endpoints their service's
 * @param derived for endpoints: whether its service has a selector (endpoints come from pods)
 */
record Item(
    ResourceType type,
    String namespace,
    String name,
    Message object,
    long createdMillis,
    boolean derived) {

  static Item of(Service s) {
    return new Item(
        ResourceType.SERVICES,
        s.getMetadata().getNamespace(),
        s.getMetadata().getName(),
        s,
        s.getMetadata().getCreationTimestampMillis(),
        false);
  }

  static Item of(Pod p) {
    return new Item(
        ResourceType.PODS,
        p.getMetadata().getNamespace(),
        p.getMetadata().getName(),
        p,
        p.getMetadata().getCreationTimestampMillis(),
        false);
  }

  static Item of(Node n) {
    return new Item(
        ResourceType.NODES,
        "",
        n.getMetadata().getName(),
        n,
        n.getMetadata().getCreationTimestampMillis(),
        false);
  }

  static Item of(Endpoints e, Service service) {
    return new Item(
        ResourceType.ENDPOINTS,
        e.getMetadata().getNamespace(),
        e.getMetadata().getName(),
        e,
        service == null ? 0 : service.getMetadata().getCreationTimestampMillis(),
        service != null && service.getSpec().getSelectorCount() > 0);
  }

  String key() {
    return namespace + "/" + name;
  }
}
