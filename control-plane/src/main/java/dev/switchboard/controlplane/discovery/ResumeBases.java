package dev.switchboard.controlplane.discovery;

import dev.switchboard.controlplane.state.ClusterCache;
import dev.switchboard.controlplane.state.PublishedState;
import dev.switchboard.controlplane.state.ResourceChange;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.controlplane.store.CompactedException;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.v1.Resource;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What resuming subscribers held, shared by every subscriber resuming from the same version.
 *
 * <p>Why: after a control-plane restart every agent resumes at once, mostly from the same few
 * versions. Reading etcd as of V (the whole prefix, ~22 MB at 10,000 services) and diffing all of
 * it once per subscriber made 1,000 agents time out their etcd reads and retry forever (the
 * control-plane scale benchmark). Here the state at V is read once per V (concurrent resumes of one
 * V wait for the same read), and the full diff against the published state is computed once; after
 * that the cache thread only tracks which resources changed since, so each further subscriber's
 * diff costs what changed, not the cluster's size.
 *
 * <p>Bounded: at most {@link #MAX_BASES} versions are kept, each dropped after {@link #IDLE}
 * without a resume.
 */
final class ResumeBases {
  private static final Logger log = LoggerFactory.getLogger(ResumeBases.class);
  static final int MAX_BASES = 4;
  static final Duration IDLE = Duration.ofSeconds(30);
  private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(5);

  /** The state at one version. */
  static final class Base {
    final long version;
    final CompletableFuture<Map<ResourceId, Resource>> state = new CompletableFuture<>();

    /** Cache thread only: ids that may differ from the published state; null until diffed. */
    private Set<ResourceId> candidates;

    private volatile long lastUsedNanos;

    Base(long version, long now) {
      this.version = version;
      this.lastUsedNanos = now;
    }
  }

  private final ClusterCache cache;
  private final Store store;
  private final LongSupplier nanoTime;

  /** Guarded by this. Insertion order is age order. */
  private final Map<Long, Base> bases = new LinkedHashMap<>();

  ResumeBases(ClusterCache cache, Store store, LongSupplier nanoTime) {
    this.cache = cache;
    this.store = store;
    this.nanoTime = nanoTime;
  }

  /**
   * The base for a subscriber that applied {@code version}, or null when that state can no longer
   * be known (compacted) or this replica cannot catch up to it in time: then the subscriber gets a
   * snapshot. Blocks (etcd); call off the gRPC and cache threads.
   */
  Base acquire(long version) {
    long now = nanoTime.getAsLong();
    Base base;
    boolean load;
    synchronized (this) {
      evictIdle(now);
      base = bases.get(version);
      load = base == null;
      if (load) {
        base = new Base(version, now);
        bases.put(version, base);
        while (bases.size() > MAX_BASES) {
          Iterator<Long> oldest = bases.keySet().iterator();
          oldest.next();
          oldest.remove();
        }
      }
      base.lastUsedNanos = now;
    }
    if (load) {
      try {
        base.state.complete(read(version));
      } catch (RuntimeException e) {
        base.state.completeExceptionally(e); // the subscribers waiting for it fail too
        forget(base);
        throw e;
      }
    }
    try {
      return base.state.join() == null ? forget(base) : base;
    } catch (CompletionException e) {
      forget(base);
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  private Map<ResourceId, Resource> read(long version) {
    try {
      cache.awaitRevision(version, CATCH_UP_TIMEOUT).join();
    } catch (CompletionException e) {
      log.info(
          "cache did not reach revision {} within {}; sending a snapshot",
          version,
          CATCH_UP_TIMEOUT);
      return null;
    }
    try {
      return PublishedState.of(store.list("", version).items());
    } catch (CompactedException e) {
      return null;
    }
  }

  private synchronized Base forget(Base base) {
    bases.remove(base.version, base);
    return null;
  }

  /**
   * Cache thread: the ids whose published state may differ from what {@code base} held. The first
   * call compares everything; later ones return the differences found then plus whatever was
   * published since.
   */
  Set<ResourceId> candidates(Base base, PublishedState published) {
    if (base.candidates == null) {
      Map<ResourceId, Resource> held = base.state.join();
      Set<ResourceId> differ = new HashSet<>();
      for (Resource r : published.all()) {
        ResourceId id = ResourceId.of(r);
        if (!Objects.equals(held.get(id), r)) {
          differ.add(id);
        }
      }
      for (ResourceId id : held.keySet()) {
        if (published.get(id) == null) {
          differ.add(id);
        }
      }
      base.candidates = differ;
    }
    return base.candidates;
  }

  /** Cache thread: every published change may make a base differ in that resource. */
  void onPublished(List<ResourceChange> changes) {
    List<Base> live;
    synchronized (this) {
      live = List.copyOf(bases.values());
    }
    for (Base base : live) {
      if (base.candidates != null) {
        for (ResourceChange c : changes) {
          base.candidates.add(c.id());
        }
      }
    }
  }

  synchronized int size() {
    return bases.size();
  }

  private void evictIdle(long now) {
    bases.values().removeIf(b -> b.state.isDone() && now - b.lastUsedNanos > IDLE.toNanos());
  }
}
