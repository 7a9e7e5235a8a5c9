package dev.switchboard.lb.nodes;

import dev.switchboard.checks.Checks;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active and passive health of the nodes' ports.
 *
 * <p>Active: every wanted {@link CheckTarget} is checked every {@code interval} (the next check is
 * scheduled when the previous one ends, so checks of one target never overlap); results go through
 * {@link TargetHealth}'s rise/fall thresholds. Passive: an endpoint (node address and NodePort)
 * that refused or timed out a forwarded connection is ejected at once for {@code ejection},
 * whatever its active state, so that no second client waits on it.
 *
 * <p>Concurrency: confined to {@code executor} (the load balancer's control thread), except {@link
 * #connectFailed}, which any thread may call. {@code onChange} runs there whenever a target's or an
 * endpoint's usability changes.
 */
public final class NodeHealth implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeHealth.class);

  private final HealthOptions options;
  private final Probe probe;
  private final ScheduledExecutorService executor;
  private final Runnable onChange;
  private final LongSupplier nanoClock;

  /** On the executor. */
  private final Map<CheckTarget, Checked> targets = new HashMap<>();

  /** Endpoint → when its ejection ends (nanoClock). On the executor. */
  private final Map<InetSocketAddress, Long> ejected = new HashMap<>();

  private boolean closed;

  /** A target's state and its pending check. */
  private static final class Checked {
    final TargetHealth health;
    Future<?> next;

    Checked(TargetHealth health) {
      this.health = health;
    }
  }

  public NodeHealth(
      HealthOptions options, Probe probe, ScheduledExecutorService executor, Runnable onChange) {
    this(options, probe, executor, onChange, System::nanoTime);
  }

  NodeHealth(
      HealthOptions options,
      Probe probe,
      ScheduledExecutorService executor,
      Runnable onChange,
      LongSupplier nanoClock) {
    this.options = Checks.notNull(options, "options");
    this.probe = Checks.notNull(probe, "probe");
    this.executor = Checks.notNull(executor, "executor");
    this.onChange = Checks.notNull(onChange, "onChange");
    this.nanoClock = Checks.notNull(nanoClock, "nanoClock");
  }

  /**
   * Sets what is checked. New targets are checked at once and start failed (see {@link
   * TargetHealth}); targets no longer wanted stop being checked and are forgotten, so a node that
   * comes back starts afresh. On the executor.
   */
  public void want(Set<CheckTarget> wanted) {
    Iterator<Map.Entry<CheckTarget, Checked>> it = targets.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<CheckTarget, Checked> e = it.next();
      if (!wanted.contains(e.getKey())) {
        if (e.getValue().next != null) {
          e.getValue().next.cancel(false);
        }
        it.remove();
      }
    }
    for (CheckTarget t : wanted) {
      if (!targets.containsKey(t)) {
        targets.put(t, new Checked(new TargetHealth(options.rise(), options.fall())));
        check(t);
      }
    }
  }

  public HealthOptions options() {
    return options;
  }

  /**
   * Whether the target passes its active check (false for a target not wanted). On the executor.
   */
  public boolean up(CheckTarget target) {
    Checked c = targets.get(target);
    return c != null && c.health.up();
  }

  /** Why the target last failed, for logs and NACKs. On the executor. */
  public String lastFailure(CheckTarget target) {
    Checked c = targets.get(target);
    return c == null ? "not checked" : c.health.lastFailure();
  }

  /** Whether the endpoint is passively ejected now. On the executor. */
  public boolean ejected(InetSocketAddress endpoint) {
    Long until = ejected.get(endpoint);
    return until != null && until - nanoClock.getAsLong() > 0;
  }

  /** A forwarded connection to {@code endpoint} failed to connect. Any thread; quick. */
  public void connectFailed(String node, InetSocketAddress endpoint) {
    try {
      executor.execute(() -> eject(node, endpoint));
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }

  private void eject(String node, InetSocketAddress endpoint) {
    if (closed) {
      return;
    }
    boolean wasEjected = ejected(endpoint);
    long until = nanoClock.getAsLong() + options.ejection().toNanos();
    ejected.put(endpoint, until);
    if (!wasEjected) {
      log.warn(
          "node {}: {} refused a connection; ejected for {} ms",
          node,
          endpoint,
          options.ejection().toMillis());
      executor.schedule(
          () -> ejectionEnded(endpoint), options.ejection().toNanos(), TimeUnit.NANOSECONDS);
      onChange.run();
    }
  }

  private void ejectionEnded(InetSocketAddress endpoint) {
    Long until = ejected.get(endpoint);
    if (closed || until == null) {
      return;
    }
    long left = until - nanoClock.getAsLong();
    if (left > 0) { // ejected again meanwhile
      executor.schedule(() -> ejectionEnded(endpoint), left, TimeUnit.NANOSECONDS);
      return;
    }
    ejected.remove(endpoint);
    onChange.run();
  }

  private void check(CheckTarget target) {
    Checked c = targets.get(target);
    if (c == null || closed) {
      return;
    }
    c.next = null;
    probe
        .check(target, options.timeout())
        .whenComplete(
            (failure, error) -> {
              String result = error != null ? "check failed: " + error : failure;
              try {
                executor.execute(() -> checked(target, c, result));
              } catch (RejectedExecutionException e) {
                // shutting down
              }
            });
  }

  private void checked(CheckTarget target, Checked c, String failure) {
    if (closed || targets.get(target) != c) {
      return; // no longer wanted (or wanted again afresh)
    }
    if (c.health.record(failure)) {
      if (c.health.up()) {
        log.info("{}: passes", target);
      } else {
        log.warn("{}: fails ({})", target, failure);
      }
      onChange.run();
    }
    c.next =
        executor.schedule(() -> check(target), options.interval().toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Stops checking. On the executor. */
  @Override
  public void close() {
    closed = true;
    for (Checked c : targets.values()) {
      if (c.next != null) {
        c.next.cancel(false);
      }
    }
    targets.clear();
    ejected.clear();
  }
}
