package dev.switchboard.controlplane.discovery;

import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.v1.ChangeOrigin;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Role;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The full state of one version as the messages a new subscriber of each role gets, serialized once
 * and shared by every subscriber that starts from a snapshot at that version.
 *
 * <p>Why: a snapshot is the cluster's size (7.6 MiB at 10,000 services). When many agents start at
 * once (a rollout, or every agent after a control-plane restart whose versions etcd compacted),
 * each one's snapshot was built and serialized on its own: 1,000 × 7.6 MiB on the cache thread. The
 * messages are the same for every fresh subscriber of a role (same filtering, order, chunking and
 * versions; one nonce each, unique on any one stream), so they are made once.
 *
 * <p>Holds one version at a time (the newest asked for); {@link #clear} drops it when a new version
 * is published. Confined to the cache thread.
 */
final class SharedSnapshots {
  /**
   * A snapshot as messages: all but the last have {@code more} set and carry version 0. {@code
   * resources} counts each message's resources (for the push counter).
   */
  record Chunks(List<byte[]> messages, List<Integer> resources, long version) {}

  private final AtomicLong nonces;
  private final Map<Role, Chunks> byRole = new EnumMap<>(Role.class);
  private long version = -1;

  SharedSnapshots(AtomicLong nonces) {
    this.nonces = nonces;
  }

  /** The snapshot of {@code version} for {@code role}, built from {@code state} the first time. */
  Chunks get(Role role, long version, Supplier<Map<ResourceId, Resource>> state) {
    if (version != this.version) {
      clear();
      this.version = version;
    }
    return byRole.computeIfAbsent(role, r -> build(r, state.get(), version));
  }

  void clear() {
    byRole.clear();
    version = -1;
  }

  /** What {@link Subscription#drain} sends a fresh subscriber given this state, as bytes. */
  private Chunks build(Role role, Map<ResourceId, Resource> state, long version) {
    Map<ResourceId, Resource> pending = new LinkedHashMap<>();
    state.forEach(
        (id, resource) -> {
          if (Subscription.wants(role, resource)) {
            pending.put(id, resource);
          }
        });
    List<byte[]> messages = new ArrayList<>();
    List<Integer> counts = new ArrayList<>();
    Map<ResourceId, ChangeOrigin> noOrigins = new HashMap<>();
    do {
      DiscoveryResponse.Builder response =
          DiscoveryResponse.newBuilder()
              .setSnapshot(messages.isEmpty())
              .setNonce(Long.toString(nonces.incrementAndGet()));
      Subscription.nextMessage(
          response, pending, noOrigins, version, 0); // a fresh subscriber had 0
      messages.add(response.build().toByteArray());
      counts.add(response.getResourcesCount());
    } while (!pending.isEmpty());
    return new Chunks(List.copyOf(messages), List.copyOf(counts), version);
  }
}
