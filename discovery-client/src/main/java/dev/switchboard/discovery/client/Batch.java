package dev.switchboard.discovery.client;

import dev.switchboard.v1.ChangeOrigin;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.ResourceKey;
import java.util.List;
import java.util.Map;

/**
 * One complete update from the control plane: a single response, or every chunk of a response split
 * with {@code more = true}, joined. The agent applies batches whole so that it never programs half
 * a snapshot.
 *
 * @param snapshot the resources replace everything held
 * @param resources created or changed objects (the latest state of each)
 * @param removed deleted objects
 * @param version the etcd revision the batch brings the agent to
 * @param traceContext W3C trace context of the push (of the batch's last message), when the control
 *     plane traced it: the parent of the subscriber's apply span
 * @param origins the writes whose effects the batch carries (from all its messages), with their
 *     write times and traces: for network-programming latency
 */
public record Batch(
    boolean snapshot,
    List<Resource> resources,
    List<ResourceKey> removed,
    long version,
    Map<String, String> traceContext,
    List<ChangeOrigin> origins) {

  public Batch {
    // A serialized list is immutable already; copying it would parse every element at once.
    resources = resources instanceof SerializedResources ? resources : List.copyOf(resources);
    removed = List.copyOf(removed);
    traceContext = Map.copyOf(traceContext);
    origins = List.copyOf(origins);
  }

  public Batch(
      boolean snapshot,
      List<Resource> resources,
      List<ResourceKey> removed,
      long version,
      Map<String, String> traceContext) {
    this(snapshot, resources, removed, version, traceContext, List.of());
  }
}
