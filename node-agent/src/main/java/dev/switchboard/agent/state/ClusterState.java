package dev.switchboard.agent.state;

import dev.switchboard.discovery.client.Batch;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.ResourceKey;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The last state the agent received: every service, its endpoints and every node, with the version
 * they were received at. It is kept across disconnections (the agent keeps forwarding with it) and
 * is what the next hello resumes from.
 *
 * <p>Every applied batch records, per service, what changed in a {@link ChangeTracker}; the
 * proxier's sync takes those changes, so the work of a sync is proportional to what changed.
 *
 * <p>Services and endpoints are kept serialized ({@link ServiceView}), endpoints without the pod
 * names the agent never reads: parsed, they were most of an agent's memory at scale.
 *
 * <p>Not thread-safe: confined to the agent's executor.
 */
public final class ClusterState {
  private final Map<ServiceName, byte[]> services = new HashMap<>();
  private final Map<ServiceName, byte[]> endpoints = new HashMap<>();
  private final Map<String, Node> nodes = new HashMap<>();
  private final ChangeTracker<ServiceName, ServiceView> changes = new ChangeTracker<>();
  private long version;
  private boolean hasSnapshot;

  /** Applies a complete batch: a snapshot replaces everything, a delta applies on top. */
  public void apply(Batch batch) {
    Map<ServiceName, ServiceView> before = new LinkedHashMap<>();
    if (batch.snapshot()) {
      Set<ServiceName> all = new TreeSet<>(services.keySet());
      all.addAll(endpoints.keySet());
      for (ServiceName name : all) {
        before.put(name, view(name));
      }
      services.clear();
      endpoints.clear();
      nodes.clear();
      hasSnapshot = true;
    }
    for (Resource r : batch.resources()) {
      switch (r.getKindCase()) {
        case SERVICE -> {
          ServiceName name =
              nameOf(
                  r.getService().getMetadata().getNamespace(),
                  r.getService().getMetadata().getName());
          before.putIfAbsent(name, view(name));
          services.put(name, ServiceView.serialize(r.getService()));
        }
        case ENDPOINTS -> {
          ServiceName name =
              nameOf(
                  r.getEndpoints().getMetadata().getNamespace(),
                  r.getEndpoints().getMetadata().getName());
          before.putIfAbsent(name, view(name));
          endpoints.put(name, ServiceView.serialize(withoutPodNames(r.getEndpoints())));
        }
        case NODE -> nodes.put(r.getNode().getMetadata().getName(), r.getNode());
        default -> {} // a kind this agent does not know: nothing to program
      }
    }
    for (ResourceKey k : batch.removed()) {
      if (k.getKind() == Kind.NODE) {
        nodes.remove(k.getName());
        continue;
      }
      ServiceName name = nameOf(k.getNamespace(), k.getName());
      if (k.getKind() == Kind.SERVICE) {
        before.putIfAbsent(name, view(name));
        services.remove(name);
      } else if (k.getKind() == Kind.ENDPOINTS) {
        before.putIfAbsent(name, view(name));
        endpoints.remove(name);
      }
    }
    for (Map.Entry<ServiceName, ServiceView> e : before.entrySet()) {
      changes.update(e.getKey(), e.getValue(), view(e.getKey()));
    }
    version = batch.version();
  }

  /** The service and endpoints held for {@code name}; {@link ServiceView#ABSENT} when neither. */
  public ServiceView view(ServiceName name) {
    return ServiceView.ofSerialized(services.get(name), endpoints.get(name));
  }

  /** Takes the changes recorded since the last call. */
  public Map<ServiceName, ChangeTracker.Change<ServiceView>> drainChanges() {
    return changes.drain();
  }

  public boolean hasPendingChanges() {
    return !changes.isEmpty();
  }

  /** The version of the last batch applied; 0 before the first. */
  public long version() {
    return version;
  }

  /** True once a snapshot has been applied: the agent knows the whole cluster. */
  public boolean hasSnapshot() {
    return hasSnapshot;
  }

  public int serviceCount() {
    return services.size();
  }

  public Map<String, Node> nodes() {
    return Map.copyOf(nodes);
  }

  /** The endpoints as received but for the pod names, which the agent never reads. */
  static Endpoints withoutPodNames(Endpoints in) {
    boolean named = false;
    for (Endpoint e : in.getEndpointsList()) {
      named |= !e.getPodName().isEmpty();
    }
    if (!named) {
      return in;
    }
    Endpoints.Builder out = in.toBuilder();
    for (int i = 0; i < out.getEndpointsCount(); i++) {
      out.setEndpoints(i, out.getEndpoints(i).toBuilder().clearPodName());
    }
    return out.build();
  }

  private static ServiceName nameOf(String namespace, String name) {
    return new ServiceName(namespace, name);
  }
}
