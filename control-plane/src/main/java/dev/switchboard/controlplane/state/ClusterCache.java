package dev.switchboard.controlplane.state;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.switchboard.controlplane.store.CompactedException;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.Listing;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.StoreEvent;
import dev.switchboard.controlplane.store.WatchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica's mirror of everything under the store prefix, kept by one list and then one watch.
 *
 * <p>All mutation and every listener call happen on one executor (the "cache thread"), so listeners
 * see changes in revision order and need no locks of their own. Reads from other threads see a
 * concurrent map that may be a little behind etcd.
 *
 * <p>The watch survives compaction and etcd restarts: when it fails, the cache lists everything
 * again, turns the difference from what it held into ordinary change events, and watches from the
 * new revision. Listeners cannot tell a relist from a burst of changes.
 */
public final class ClusterCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterCache.class);
  private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(3);

  private final Store store;
  private final ScheduledExecutorService executor;
  private final NavigableMap<String, KeyValue> entries = new ConcurrentSkipListMap<>();
  private final List<CacheListener> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> firstSync = new CompletableFuture<>();

  private volatile long revision;

  /** Confined to the executor. */
  private final PriorityQueue<RevisionWaiter> waiters = new PriorityQueue<>();

  /**
   * Confined to the executor: bumped on every relist so late events of an old watch are ignored.
   */
  private long watchGeneration;

  /** Confined to the executor. */
  private AutoCloseable watch;

  /** Confined to the executor. */
  private Duration backoff = MIN_BACKOFF;

  /** Confined to the executor. */
  private boolean closed;

  @GuardedBy("this")
  private int relists;

  /**
   * @param executor a single-threaded executor the cache owns for its mutations and listener calls
   *     (tests may pass one they drive)
   */
  public ClusterCache(Store store, ScheduledExecutorService executor) {
    this.store = Objects.requireNonNull(store, "store");
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  /** Adds a listener; call before {@link #start}, or from the cache thread. */
  public void addListener(CacheListener listener) {
    listeners.add(listener);
  }

  /** Starts listing and watching; the future completes after the first full list is applied. */
  public CompletableFuture<Void> start() {
    executor.execute(this::relist);
    return firstSync;
  }

  public long revision() {
    return revision;
  }

  public KeyValue get(String key) {
    return entries.get(key);
  }

  /** The keys under {@code prefix}, in key order: a live view, not a snapshot. */
  public Iterable<KeyValue> scan(String prefix) {
    return entries.subMap(prefix, true, prefix + Character.MAX_VALUE, false).values();
  }

  /** Completes once the cache has applied {@code rev} (or fails after {@code timeout}). */
  public CompletableFuture<Void> awaitRevision(long rev, Duration timeout) {
    if (revision >= rev) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> future = new CompletableFuture<>();
    executor.execute(
        () -> {
          if (revision >= rev) {
            future.complete(null);
          } else {
            waiters.add(new RevisionWaiter(rev, future));
          }
        });
    return future.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs {@code task} on the cache thread, where the cache and its listeners are consistent. */
  public void execute(Runnable task) {
    executor.execute(task);
  }

  public synchronized int relistCount() {
    return relists;
  }

  @Override
  public void close() {
    executor.execute(
        () -> {
          closed = true;
          closeWatch();
        });
  }

  private void relist() {
    if (closed) {
      return;
    }
    closeWatch();
    long generation = ++watchGeneration;
    Listing listing;
    try {
      listing = store.list("");
    } catch (RuntimeException e) {
      log.warn(
          "cache: listing etcd failed ({}); retrying in {} ms", e.getMessage(), backoff.toMillis());
      scheduleRelist();
      return;
    }
    synchronized (this) {
      relists++;
    }
    List<StoreEvent> events = diffAgainst(listing);
    advance(events, listing.revision());
    try {
      watch =
          store.watch(
              "",
              listing.revision() + 1,
              new WatchListener() {
                @Override
                public void onEvents(List<StoreEvent> batch) {
                  executor.execute(
                      () -> {
                        if (generation == watchGeneration && !closed) {
                          backoff = MIN_BACKOFF;
                          applyWatched(batch);
                        }
                      });
                }

                @Override
                public void onFailure(Throwable cause) {
                  executor.execute(
                      () -> {
                        if (generation != watchGeneration || closed) {
                          return;
                        }
                        if (cause instanceof CompactedException) {
                          log.info("cache: watch compacted past revision {}; relisting", revision);
                          relist();
                        } else {
                          log.warn(
                              "cache: watch failed ({}); relisting in {} ms",
                              cause.getMessage(),
                              backoff.toMillis());
                          scheduleRelist();
                        }
                      });
                }
              });
    } catch (RuntimeException e) {
      log.warn("cache: watching etcd failed ({}); retrying", e.getMessage());
      scheduleRelist();
    }
    firstSync.complete(null);
  }

  private void scheduleRelist() {
    long delay = backoff.toMillis();
    backoff =
        backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    executor.schedule(this::relist, delay, TimeUnit.MILLISECONDS);
  }

  private void closeWatch() {
    if (watch != null) {
      try {
        watch.close();
      } catch (Exception e) {
        log.debug("cache: closing watch: {}", e.toString());
      }
      watch = null;
    }
  }

  /** Turns a full listing into the events that take the cache from what it holds to it. */
  private List<StoreEvent> diffAgainst(Listing listing) {
    List<StoreEvent> events = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (KeyValue kv : listing.items()) {
      seen.add(kv.key());
      KeyValue old = entries.get(kv.key());
      if (old == null || old.modRevision() != kv.modRevision()) {
        events.add(new StoreEvent(StoreEvent.Type.PUT, kv, old));
      }
    }
    for (Map.Entry<String, KeyValue> e : entries.entrySet()) {
      if (!seen.contains(e.getKey())) {
        KeyValue gone = new KeyValue(e.getKey(), new byte[0], 0, listing.revision());
        events.add(new StoreEvent(StoreEvent.Type.DELETE, gone, e.getValue()));
      }
    }
    return events;
  }

  private void applyWatched(List<StoreEvent> batch) {
    List<StoreEvent> events = new ArrayList<>(batch.size());
    long rev = revision;
    for (StoreEvent event : batch) {
      if (event.revision() <= revision) {
        continue; // already seen through a relist
      }
      // Our own previous value is the truth for listeners; etcd's prevKV may be compacted away.
      events.add(new StoreEvent(event.type(), event.current(), entries.get(event.key())));
      rev = Math.max(rev, event.revision());
    }
    advance(events, rev);
  }

  private void advance(List<StoreEvent> events, long newRevision) {
    for (StoreEvent event : events) {
      if (event.type() == StoreEvent.Type.PUT) {
        entries.put(event.key(), event.current());
      } else {
        entries.remove(event.key());
      }
    }
    long oldRevision = revision;
    revision = Math.max(revision, newRevision);
    if (!events.isEmpty() || revision != oldRevision) {
      for (CacheListener listener : listeners) {
        try {
          listener.onChanges(events, revision);
        } catch (RuntimeException e) {
          log.error("cache listener {} failed", listener, e);
        }
      }
    }
    while (!waiters.isEmpty() && waiters.peek().revision <= revision) {
      waiters.poll().future.complete(null);
    }
  }

  private record RevisionWaiter(long revision, CompletableFuture<Void> future)
      implements Comparable<RevisionWaiter> {
    @Override
    public int compareTo(RevisionWaiter o) {
      return Long.compare(revision, o.revision);
    }
  }
}
