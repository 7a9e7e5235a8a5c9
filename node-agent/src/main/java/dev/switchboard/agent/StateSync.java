package dev.switchboard.agent;

import dev.switchboard.agent.health.HealthCheckServers;
import dev.switchboard.agent.nft.NftProxier;
import dev.switchboard.agent.proxier.DataPath;
import dev.switchboard.agent.proxier.HealthCheckPlan;
import dev.switchboard.agent.proxier.ListenerPlan;
import dev.switchboard.agent.proxier.Proxier;
import dev.switchboard.agent.proxier.ServicePlan;
import dev.switchboard.agent.proxier.ServicePlanner;
import dev.switchboard.agent.state.ChangeTracker;
import dev.switchboard.agent.state.ClusterState;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.Batch;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.discovery.client.Subscriber;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's {@link Subscriber.State}: a batch from the control plane is applied to the
 * {@link ClusterState}; a sync (coalesced by the subscriber) plans the services that changed,
 * programs listeners, nftables rules and health checks, and returns what it could not program,
 * which the subscriber sends as the ACK or NACK of every batch the sync covered.
 *
 * <p>Confined to the agent's executor, like everything it calls; the status fields are volatile for
 * /statusz and /readyz.
 */
final class StateSync implements Subscriber.State {
  private static final Logger log = LoggerFactory.getLogger(StateSync.class);

  /**
   * NACK details beyond this are cut: the control plane logs them, a reader needs the first ones.
   */
  private static final int MAX_DETAIL_CHARS = 4096;

  private final ClusterState state = new ClusterState();
  private final ServicePlanner planner;
  private final Proxier proxier;

  /** The kernel data path (nftables mode); null in userspace mode. */
  private final NftProxier kernel;

  private final HealthCheckServers healthChecks;

  /** An error that no sync fixes (the route of cluster mode); "" when none. */
  private final String standingError;

  /** Told what changed after each sync once a snapshot is held (the cluster DNS zone). */
  private BiConsumer<Long, Map<ServiceName, ChangeTracker.Change<ServiceView>>> onSynced =
      (v, c) -> {};

  private volatile int boundListeners;
  private volatile int kernelPorts;

  /**
   * nftables mode: per service, one line per port saying which data path serves it. Written by the
   * sync (only the services that changed), read by /statusz on the admin event loop.
   */
  private final ConcurrentSkipListMap<ServiceName, List<String>> portPaths =
      new ConcurrentSkipListMap<>();

  private volatile boolean ready;
  private volatile long programmedVersion;
  private volatile int errorCount;

  /**
   * @param kernel programs what the kernel can serve (nftables mode); null: all in userspace
   */
  StateSync(
      ServicePlanner planner,
      Proxier proxier,
      NftProxier kernel,
      HealthCheckServers healthChecks,
      String standingError) {
    this.planner = planner;
    this.proxier = proxier;
    this.kernel = kernel;
    this.healthChecks = healthChecks;
    this.standingError = standingError;
  }

  /** Who is told, on this executor after each sync, the version and the services that changed. */
  void onSynced(BiConsumer<Long, Map<ServiceName, ChangeTracker.Change<ServiceView>>> listener) {
    this.onSynced = listener;
  }

  @Override
  public void apply(Batch batch) {
    state.apply(batch);
  }

  @Override
  public long version() {
    return state.version();
  }

  /** One sync: everything that changed since the last, merged. Returns the (N)ACK detail. */
  @Override
  public String sync() {
    long started = System.nanoTime();
    long version = state.version();
    Map<ServiceName, ChangeTracker.Change<ServiceView>> changes = state.drainChanges();
    Map<ServiceName, ServicePlan> plans = new LinkedHashMap<>();
    Map<ServiceName, Optional<HealthCheckPlan>> checks = new LinkedHashMap<>();
    for (Map.Entry<ServiceName, ChangeTracker.Change<ServiceView>> e : changes.entrySet()) {
      ServicePlan plan = planner.plan(e.getKey(), e.getValue().current());
      plans.put(e.getKey(), plan);
      checks.put(e.getKey(), plan.healthCheck());
    }
    List<String> errors = new ArrayList<>();
    if (!standingError.isEmpty()) {
      errors.add(standingError);
    }
    if (kernel == null) {
      errors.addAll(proxier.sync(userspaceShare(plans, false)));
    } else {
      errors.addAll(proxier.sync(userspaceShare(plans, true)));
      errors.addAll(kernel.sync(plans));
      kernelPorts = kernel.programmedPorts();
      plans.forEach(
          (name, plan) -> {
            if (plan.listeners().isEmpty()) {
              portPaths.remove(name);
            } else {
              portPaths.put(name, plan.listeners().stream().map(StateSync::portPath).toList());
            }
          });
    }
    errors.addAll(healthChecks.sync(checks));
    if (state.hasSnapshot()) {
      onSynced.accept(version, changes);
    }
    String error = detail(errors);
    errorCount = errors.size();
    boundListeners = proxier.boundCount();
    programmedVersion = version;
    if (state.hasSnapshot() && !ready) {
      ready = true;
      log.info(
          "ready: first snapshot programmed (version {}, {} services, {} listeners)",
          version,
          state.serviceCount(),
          proxier.boundCount());
    }
    if (!changes.isEmpty()) {
      log.debug(
          "sync: {} services changed, {} listeners, {} errors, {} us",
          changes.size(),
          proxier.boundCount(),
          errors.size(),
          (System.nanoTime() - started) / 1000);
    }
    return error;
  }

  boolean ready() {
    return ready;
  }

  long programmedVersion() {
    return programmedVersion;
  }

  int errorCount() {
    return errorCount;
  }

  int boundListeners() {
    return boundListeners;
  }

  /**
   * nftables mode: which data path serves each port, one line each, at most {@code max} lines; ""
   * in userspace mode (every port is the forwarder's).
   */
  String portPaths(int max) {
    StringBuilder out = new StringBuilder();
    int lines = 0;
    int total = 0;
    for (List<String> ports : portPaths.values()) {
      for (String line : ports) {
        total++;
        if (lines < max) {
          out.append(line).append('\n');
          lines++;
        }
      }
    }
    if (total > lines) {
      out.append("... and ").append(total - lines).append(" more\n");
    }
    return out.toString();
  }

  private static String portPath(ListenerPlan l) {
    String why = DataPath.reason(l);
    String path =
        l.kind() == ListenerPlan.Kind.LOAD_BALANCER && DataPath.of(l) == DataPath.USERSPACE
            ? "cloud-lb only (needs a proxy: " + why + ")"
            : DataPath.of(l) + (why.isEmpty() ? "" : " (" + why + ")");
    return l.listenerName() + " " + l.kind() + " " + l.key() + " " + path;
  }

  /** Service ports in the nftables table (0 in userspace mode). */
  int kernelPorts() {
    return kernelPorts;
  }

  /**
   * The listeners the forwarder binds: never LoadBalancer ingress IPs (cloud-lb binds those), and
   * with a kernel data path only the ports that need a proxy. The plans' own errors are reported
   * here, once.
   */
  private static Map<ServiceName, ServicePlan> userspaceShare(
      Map<ServiceName, ServicePlan> plans, boolean kernelServesTheRest) {
    Map<ServiceName, ServicePlan> out = new LinkedHashMap<>();
    plans.forEach(
        (name, plan) ->
            out.put(
                name,
                new ServicePlan(
                    plan.listeners().stream()
                        .filter(l -> l.kind() != ListenerPlan.Kind.LOAD_BALANCER)
                        .filter(l -> !kernelServesTheRest || DataPath.of(l) == DataPath.USERSPACE)
                        .toList(),
                    plan.healthCheck(),
                    plan.errors())));
    return out;
  }

  private static String detail(List<String> errors) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < errors.size(); i++) {
      String next = (i == 0 ? "" : "; ") + errors.get(i);
      if (b.length() + next.length() > MAX_DETAIL_CHARS) {
        b.append("; ... and ").append(errors.size() - i).append(" more");
        break;
      }
      b.append(next);
    }
    return b.toString();
  }
}
