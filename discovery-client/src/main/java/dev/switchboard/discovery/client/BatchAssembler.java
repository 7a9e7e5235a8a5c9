package dev.switchboard.discovery.client;

import dev.switchboard.v1.ChangeOrigin;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.ResourceKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Joins the chunks of a response split with {@code more = true} into one {@link Batch}.
 *
 * <p>Why not apply each chunk as it comes: if the stream broke after the first chunk of a snapshot,
 * the agent would hold a fraction of the cluster while claiming its old version, and the control
 * plane's diff from that version would never resend what the partial snapshot dropped. Held aside,
 * an interrupted batch is simply discarded ({@link #reset()}).
 *
 * <p>Objects are held serialized, and the batch hands them on that way ({@link
 * SerializedResources}): a snapshot of a large cluster arrives in many chunks, and holding every
 * object parsed until the last chunk, then until the batch was applied, was the peak of the agent's
 * heap.
 *
 * <p>Not thread-safe: confined to the client's executor.
 */
final class BatchAssembler {
  /**
   * Latest state per object across the chunks (a later chunk may change or remove it again),
   * serialized; null = removed.
   */
  private final Map<ResourceKey, byte[]> objects = new LinkedHashMap<>();

  /** The origins of every chunk, by revision. */
  private final Map<Long, ChangeOrigin> origins = new LinkedHashMap<>();

  private boolean started;
  private boolean snapshot;

  /** Adds a chunk; returns the complete batch when this was its last chunk. */
  Optional<Batch> add(DiscoveryResponse response) {
    if (!started) {
      started = true;
      snapshot = response.getSnapshot();
    } else if (response.getSnapshot()) {
      // A new snapshot restarts the batch: what came before it is replaced anyway.
      reset();
      started = true;
      snapshot = true;
    }
    for (Resource r : response.getResourcesList()) {
      objects.put(keyOf(r), r.toByteArray());
    }
    for (ResourceKey k : response.getRemovedList()) {
      objects.put(k, null);
    }
    for (ChangeOrigin o : response.getOriginsList()) {
      origins.putIfAbsent(o.getRevision(), o);
    }
    if (response.getMore()) {
      return Optional.empty();
    }
    List<byte[]> resources = new ArrayList<>();
    List<ResourceKey> removed = new ArrayList<>();
    for (Map.Entry<ResourceKey, byte[]> e : objects.entrySet()) {
      if (e.getValue() != null) {
        resources.add(e.getValue());
      } else if (!snapshot) {
        removed.add(e.getKey());
      }
    }
    Batch batch =
        new Batch(
            snapshot,
            SerializedResources.of(resources),
            removed,
            response.getVersion(),
            response.getTraceContextMap(),
            List.copyOf(origins.values()));
    reset();
    return Optional.of(batch);
  }

  static ResourceKey keyOf(Resource r) {
    return switch (r.getKindCase()) {
      case SERVICE ->
          ResourceKey.newBuilder()
              .setKind(Kind.SERVICE)
              .setNamespace(r.getService().getMetadata().getNamespace())
              .setName(r.getService().getMetadata().getName())
              .build();
      case ENDPOINTS ->
          ResourceKey.newBuilder()
              .setKind(Kind.ENDPOINTS)
              .setNamespace(r.getEndpoints().getMetadata().getNamespace())
              .setName(r.getEndpoints().getMetadata().getName())
              .build();
      case NODE ->
          ResourceKey.newBuilder()
              .setKind(Kind.NODE)
              .setName(r.getNode().getMetadata().getName())
              .build();
      default -> ResourceKey.getDefaultInstance();
    };
  }

  /** True while chunks of an unfinished batch are held. */
  boolean inProgress() {
    return started;
  }

  void reset() {
    objects.clear();
    origins.clear();
    started = false;
    snapshot = false;
  }
}
