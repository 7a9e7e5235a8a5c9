package dev.switchboard.controlplane.state;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;

/**
 * Decodes stored values. The stored bytes are the object as written; the resource_version a reader
 * sees is always the key's etcd mod revision, stamped here.
 */
public final class StoredObjects {
  private StoredObjects() {}

  public static Service service(KeyValue kv) {
    try {
      Service s = Service.parseFrom(kv.value());
      return s.toBuilder()
          .setMetadata(s.getMetadata().toBuilder().setResourceVersion(kv.modRevision()))
          .build();
    } catch (InvalidProtocolBufferException e) {
      throw corrupt(kv, e);
    }
  }

  public static Pod pod(KeyValue kv) {
    try {
      Pod p = Pod.parseFrom(kv.value());
      return p.toBuilder()
          .setMetadata(p.getMetadata().toBuilder().setResourceVersion(kv.modRevision()))
          .build();
    } catch (InvalidProtocolBufferException e) {
      throw corrupt(kv, e);
    }
  }

  public static Endpoints endpoints(KeyValue kv) {
    try {
      Endpoints e = Endpoints.parseFrom(kv.value());
      return e.toBuilder()
          .setMetadata(e.getMetadata().toBuilder().setResourceVersion(kv.modRevision()))
          .build();
    } catch (InvalidProtocolBufferException e) {
      throw corrupt(kv, e);
    }
  }

  public static Node node(KeyValue kv) {
    try {
      Node n = Node.parseFrom(kv.value());
      return n.toBuilder()
          .setMetadata(n.getMetadata().toBuilder().setResourceVersion(kv.modRevision()))
          .build();
    } catch (InvalidProtocolBufferException e) {
      throw corrupt(kv, e);
    }
  }

  private static IllegalStateException corrupt(KeyValue kv, Exception e) {
    return new IllegalStateException(
        "stored value of "
            + kv.key()
            + " at revision "
            + kv.modRevision()
            + " is not a valid object: "
            + e.getMessage(),
        e);
  }
}
