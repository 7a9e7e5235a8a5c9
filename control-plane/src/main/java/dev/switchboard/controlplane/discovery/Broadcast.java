package dev.switchboard.controlplane.discovery;

import dev.switchboard.controlplane.state.ResourceChange;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.v1.ChangeOrigin;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Role;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One published batch as the message a caught-up subscriber of each role gets: built and serialized
 * at most once per role, then shared by every subscriber that has nothing else pending (the usual
 * case: the batch alone is what it is owed). A subscriber with a backlog merges the batch into it
 * instead and gets a message of its own.
 *
 * <p>The message is exactly what {@link Subscription} would build for such a subscriber (same
 * filtering by role, order, origins and version, one nonce for all; nonces stay unique on each
 * stream), so sharing changes no byte a subscriber sees but the nonce's value.
 *
 * <p>Confined to the cache thread, like the publication it comes from.
 */
final class Broadcast {
  /** A message every caught-up subscriber of one role gets. */
  record Message(
      byte[] bytes, long version, List<ChangeOrigin> origins, int resources, int removed) {}

  /** A role's batch too large for one message: each subscriber splits it as before. */
  private static final Message TOO_LARGE = new Message(new byte[0], 0, List.of(), 0, 0);

  private final List<ResourceChange> changes;
  private final long version;
  private final AtomicLong nonces;
  private final Map<Role, Message> byRole = new EnumMap<>(Role.class);

  Broadcast(List<ResourceChange> changes, long version, AtomicLong nonces) {
    this.changes = changes;
    this.version = version;
    this.nonces = nonces;
  }

  /** The shared message for {@code role}, or null when the batch needs several messages. */
  Message forRole(Role role) {
    Message m = byRole.computeIfAbsent(role, this::build);
    return m == TOO_LARGE ? null : m;
  }

  private Message build(Role role) {
    Map<ResourceId, Resource> pending = new LinkedHashMap<>();
    Map<ResourceId, ChangeOrigin> origins = new HashMap<>();
    for (ResourceChange change : changes) {
      Subscription.queue(
          role,
          pending,
          origins,
          change.id(),
          change.previous(),
          change.current(),
          change.origin());
    }
    DiscoveryResponse.Builder response = DiscoveryResponse.newBuilder();
    Map<Long, ChangeOrigin> carried = Subscription.take(response, pending, origins);
    if (!pending.isEmpty()) {
      return TOO_LARGE;
    }
    List<ChangeOrigin> originList = List.copyOf(carried.values());
    byte[] bytes =
        response
            .setVersion(version)
            .setMore(false)
            .setSnapshot(false)
            .setNonce(Long.toString(nonces.incrementAndGet()))
            .addAllOrigins(originList)
            .build()
            .toByteArray();
    return new Message(
        bytes, version, originList, response.getResourcesCount(), response.getRemovedCount());
  }
}
