package dev.switchboard.lb.client;

import dev.switchboard.discovery.client.Batch;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.ResourceKey;
import dev.switchboard.v1.Service;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * What a load balancer holds from the Discovery stream: the LoadBalancer services and the nodes, at
 * {@link #version()}. Applying a batch is all-or-nothing per object; a service that stops being a
 * LoadBalancer arrives as a removal.
 *
 * <p>Not thread-safe: confined to the load balancer's control thread.
 */
public final class ClusterView {
  private final Map<ServiceName, Service> services = new HashMap<>();
  private final Map<String, Node> nodes = new HashMap<>();
  private long version;

  public void apply(Batch batch) {
    if (batch.snapshot()) {
      services.clear();
      nodes.clear();
    }
    for (Resource r : batch.resources()) {
      switch (r.getKindCase()) {
        case SERVICE -> {
          Service s = r.getService();
          if ("LoadBalancer".equals(s.getSpec().getType())) {
            services.put(ServiceName.of(s), s);
          } else {
            services.remove(ServiceName.of(s)); // not ours (the control plane filters already)
          }
        }
        case NODE -> nodes.put(r.getNode().getMetadata().getName(), r.getNode());
        default -> {} // endpoints are the agents' business
      }
    }
    for (ResourceKey k : batch.removed()) {
      if (k.getKind() == Kind.SERVICE) {
        services.remove(ServiceName.of(k));
      } else if (k.getKind() == Kind.NODE) {
        nodes.remove(k.getName());
      }
    }
    version = batch.version();
  }

  public long version() {
    return version;
  }

  public Collection<Service> services() {
    return Collections.unmodifiableCollection(services.values());
  }

  public Service service(ServiceName key) {
    return services.get(key);
  }

  public Collection<Node> nodes() {
    return Collections.unmodifiableCollection(nodes.values());
  }
}
