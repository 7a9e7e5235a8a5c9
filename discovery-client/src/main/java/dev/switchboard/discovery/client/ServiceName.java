package dev.switchboard.discovery.client;

import dev.switchboard.v1.ResourceKey;
import dev.switchboard.v1.Service;
import java.util.Objects;

/**
 * A service's (and its endpoints') namespace and name, Kubernetes' {@code NamespacedName}: how a
 * subscriber keys what it keeps per service (the agent tracks changes by it, cloud-lb its listeners
 * and status writes).
 */
public record ServiceName(String namespace, String name) implements Comparable<ServiceName> {

  public ServiceName {
    Objects.requireNonNull(namespace, () -> "namespace: null (expected: non-null)");
    Objects.requireNonNull(name, () -> "name: null (expected: non-null)");
  }

  public static ServiceName of(Service service) {
    return new ServiceName(service.getMetadata().getNamespace(), service.getMetadata().getName());
  }

  /** The service a removal of a service or of its endpoints names. */
  public static ServiceName of(ResourceKey key) {
    return new ServiceName(key.getNamespace(), key.getName());
  }

  @Override
  public int compareTo(ServiceName o) {
    int c = namespace.compareTo(o.namespace);
    return c != 0 ? c : name.compareTo(o.name);
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
