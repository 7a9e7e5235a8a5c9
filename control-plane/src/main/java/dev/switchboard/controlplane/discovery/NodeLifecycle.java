package dev.switchboard.controlplane.discovery;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.switchboard.controlplane.state.CacheListener;
import dev.switchboard.controlplane.state.ClusterCache;
import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.state.StoredObjects;
import dev.switchboard.controlplane.store.Condition;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.StoreEvent;
import dev.switchboard.controlplane.store.Txn;
import dev.switchboard.controlplane.store.Write;
import dev.switchboard.v1.Node;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether each node is ready, as Kubernetes' node lifecycle controller does, and writes the
 * answer into the node's object ({@code nodes/NAME}, field {@code ready}): what subscribers are
 * told stays a pure function of etcd, the same on every replica.
 *
 * <p>A node is ready while its liveness key ({@code nodeleases/NAME}, see {@link NodeLeases})
 * exists. When the key goes, the node is written not ready, but not before it had a full lease
 * period, counted from when this replica started, to reach a live replica. A replica that starts
 * after the whole control plane was away finds every lease lapsed: that outage was the control
 * plane's, not the nodes', so each node gets back the time to reconnect that the outage took from
 * it (Kubernetes' controller likewise gives every node a fresh grace period when it starts). A node
 * whose stream ended on this replica is not waited for: that is this replica's own observation, and
 * one node leaving is dropped at once.
 *
 * <p>Every replica runs one. Writes are conditional (the node unchanged since read; for not ready,
 * the liveness key still absent), so replicas racing one another or a registration agree, and a
 * lost race is settled by the watch event that lost it.
 *
 * <p>Concurrency: cache events arrive on the cache thread and are handed to {@code executor}, a
 * single thread this class owns (its etcd calls block), where its state lives.
 */
public final class NodeLifecycle implements CacheListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeLifecycle.class);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final Store store;
  private final ClusterCache cache;
  private final Duration leaseTtl;
  private final ScheduledExecutorService executor;
  private final LongSupplier nanoClock;

  /** Nodes with a reconcile queued or scheduled. On the executor. */
  @GuardedBy("executor")
  private final Map<String, Future<?>> pending = new HashMap<>();

  /** Nodes whose stream ended on this replica since they were last seen alive. On the executor. */
  @GuardedBy("executor")
  private final Set<String> leftHere = new HashSet<>();

  /** When this replica's grace ends (nanoClock). On the executor. */
  @GuardedBy("executor")
  private long graceEndsNanos;

  @GuardedBy("executor")
  private boolean started;

  @GuardedBy("executor")
  private boolean closed;

  /**
   * @param executor a single thread this object owns and shuts down on {@link #close}
   * @param nanoClock the time the grace period is counted in (tests drive it)
   */
  public NodeLifecycle(
      Store store,
      ClusterCache cache,
      Duration leaseTtl,
      ScheduledExecutorService executor,
      LongSupplier nanoClock) {
    this.store = Objects.requireNonNull(store, "store");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.leaseTtl = Objects.requireNonNull(leaseTtl, "leaseTtl");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  /**
   * Starts deciding, with the grace period counted from now: call once the replica serves (after
   * the cache's first list), since a node can reconnect only from then on.
   */
  public void start() {
    run(
        () -> {
          started = true;
          graceEndsNanos = nanoClock.getAsLong() + leaseTtl.toNanos();
          for (KeyValue kv : cache.scan(Keys.NODES)) {
            reconcileSoon(kv.key().substring(Keys.NODES.length()));
          }
        });
  }

  @Override
  public void onChanges(List<StoreEvent> events, long revision) {
    Set<String> touched = new LinkedHashSet<>();
    for (StoreEvent event : events) {
      String key = event.key();
      if (key.startsWith(Keys.NODES)) {
        touched.add(key.substring(Keys.NODES.length()));
      } else if (key.startsWith(Keys.NODE_LEASES)) {
        touched.add(key.substring(Keys.NODE_LEASES.length()));
      }
    }
    if (!touched.isEmpty()) {
      run(() -> touched.forEach(this::reconcileSoon));
    }
  }

  /**
   * The node's stream ended on this replica (its agent went away): when its liveness key goes, it
   * is written not ready at once, grace or not. Call before revoking its lease.
   */
  void streamEnded(String node) {
    run(() -> leftHere.add(node));
  }

  @Override
  public void close() {
    try {
      executor
          .submit(
              () -> {
                closed = true;
                pending.values().forEach(f -> f.cancel(false));
                pending.clear();
              })
          .get(5, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      // closed already, or stuck on etcd: stopped below all the same
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // shutdownNow: a grace-period reconcile is a delayed task, which a plain shutdown waits for.
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException closing) {
      // the replica is closing: the other replicas decide
    }
  }

  private void reconcileSoon(String node) {
    if (started && !closed && !pending.containsKey(node)) {
      pending.put(node, executor.submit(() -> reconcile(node)));
    }
  }

  private void reconcileIn(String node, long delayNanos) {
    Future<?> previous =
        pending.put(
            node, executor.schedule(() -> reconcile(node), delayNanos, TimeUnit.NANOSECONDS));
    if (previous != null) {
      previous.cancel(false);
    }
  }

  private void reconcile(String name) {
    pending.remove(name);
    if (closed) {
      return;
    }
    KeyValue stored = cache.get(Keys.node(name));
    if (stored == null) {
      leftHere.remove(name);
      return;
    }
    boolean alive = cache.get(Keys.nodeLease(name)) != null;
    if (alive) {
      leftHere.remove(name);
    }
    Node node = StoredObjects.node(stored);
    if (node.getReady() == alive) {
      return;
    }
    if (!alive && !leftHere.contains(name)) {
      long graceLeft = graceEndsNanos - nanoClock.getAsLong();
      if (graceLeft > 0) {
        reconcileIn(name, graceLeft);
        return;
      }
    }
    Txn txn = new Txn().when(Condition.modRevisionIs(Keys.node(name), stored.modRevision()));
    if (!alive) {
      txn.when(Condition.absent(Keys.nodeLease(name)));
    }
    txn.then(Write.put(Keys.node(name), NodeLeases.stored(node.toBuilder().setReady(alive))));
    try {
      if (store.commit(txn).succeeded()) {
        if (alive) {
          log.info("node {}: ready (its liveness key is back)", name);
        } else {
          log.warn(
              "node {}: not ready ({})",
              name,
              leftHere.contains(name)
                  ? "its stream ended"
                  : "its lease lapsed: no replica heard from it for " + leaseTtl);
        }
      }
      // else: the node or its liveness key changed meanwhile; the cache's event reconciles again
    } catch (RuntimeException e) {
      log.warn(
          "node {}: could not write ready={} ({}); retrying in {}",
          name,
          alive,
          e.getMessage(),
          RETRY);
      reconcileIn(name, RETRY.toNanos());
    }
  }
}
