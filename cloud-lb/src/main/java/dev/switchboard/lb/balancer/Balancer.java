package dev.switchboard.lb.balancer;

import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.ConnectionPreamble;
import dev.switchboard.forwarder.Forwarder;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerOptions;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.h2.H2Options;
import dev.switchboard.forwarder.http.HttpOptions;
import dev.switchboard.lb.nodes.CheckTarget;
import dev.switchboard.lb.nodes.NodeHealth;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.Service;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one forwarder listener per LoadBalancer service port (TCP or UDP on the external IP) in
 * line with the services and nodes the stream delivered and with the nodes' health: binds new ones,
 * updates their node endpoints, closes those no longer wanted (open connections finish), and
 * retries binds that failed (at the first sync 2 s after the failure; the periodic resync
 * guarantees there is one).
 *
 * <p>Concurrency: confined to the load balancer's control thread ({@code executor}); bind results
 * from the forwarder are handed back to it. Listeners and pickers do their own work on event loops.
 */
public final class Balancer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Balancer.class);

  /**
   * A failed bind is retried by the first sync this long after it failed, not at once (no busy
   * loop).
   */
  private static final long BIND_RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);

  private final Forwarder forwarder;
  private final MaglevTables tables;
  private final NodeHealth health;
  private final PassiveHealth passive;
  private final ListenerOptions baseOptions;
  private final Executor executor;
  private final Runnable onBindResult;

  /** For ports marked http; null: plain L4 everywhere. */
  private final HttpOptions http;

  /** For ports marked h2c/grpc; null: plain L4. */
  private final H2Options h2;

  /** On the executor. */
  private final Map<ServiceName, ServiceBinding> bindings = new HashMap<>();

  /** The nodes of the last sync. On the executor. */
  private List<NodeBackends.NodeAddress> nodes = List.of();

  /**
   * Whether the last sync ignored readiness (too many nodes not ready at once). Read by metrics.
   */
  private volatile boolean readinessIgnored;

  /** Errors of the last sync that were not bind errors (plans, nodes). On the executor. */
  private List<String> syncErrors = List.of();

  /**
   * @param onBindResult run on the executor when a bind finished, either way (status and NACKs
   *     follow it)
   */
  public Balancer(
      Forwarder forwarder,
      MaglevTables tables,
      NodeHealth health,
      PassiveHealth passive,
      ListenerOptions baseOptions,
      Executor executor,
      Runnable onBindResult) {
    this(forwarder, tables, health, passive, baseOptions, executor, onBindResult, null);
  }

  /**
   * @param http how ports marked http (appProtocol) forward; null: as plain TCP
   */
  public Balancer(
      Forwarder forwarder,
      MaglevTables tables,
      NodeHealth health,
      PassiveHealth passive,
      ListenerOptions baseOptions,
      Executor executor,
      Runnable onBindResult,
      HttpOptions http) {
    this(forwarder, tables, health, passive, baseOptions, executor, onBindResult, http, null);
  }

  /**
   * @param http how ports marked http (appProtocol) forward; null: as plain TCP
   * @param h2 how ports marked h2c/grpc (appProtocol) forward; null: as plain TCP
   */
  public Balancer(
      Forwarder forwarder,
      MaglevTables tables,
      NodeHealth health,
      PassiveHealth passive,
      ListenerOptions baseOptions,
      Executor executor,
      Runnable onBindResult,
      HttpOptions http,
      H2Options h2) {
    this.http = http;
    this.h2 = h2;
    this.forwarder = forwarder;
    this.tables = tables;
    this.health = health;
    this.passive = passive;
    this.baseOptions = baseOptions;
    this.executor = executor;
    this.onBindResult = onBindResult;
  }

  /**
   * One service: its plan, its listeners by bound address, and the PROXY switch its preamble reads.
   */
  private static final class ServiceBinding {
    ServicePlan plan;

    /** Read by the preamble on event loops. */
    volatile boolean proxyProtocol;

    final Map<ListenerKey, Bound> listeners = new HashMap<>();
  }

  /**
   * A change of {@code http} or {@code h2} (the port's appProtocol) replaces the listener
   * (SO_REUSEPORT lets both bind).
   */
  private record ListenerKey(
      Protocol protocol, InetSocketAddress address, boolean http, boolean h2) {}

  /** One listener, from the bind request on. */
  private static final class Bound {
    final ListenerSpec spec;
    final MaglevPicker picker;
    ServiceTarget wanted;
    Listener listener;
    String error;
    long failedAtNanos;
    boolean starting;
    boolean removed;

    Bound(ListenerSpec spec, MaglevPicker picker, ServiceTarget wanted) {
      this.spec = spec;
      this.picker = picker;
      this.wanted = wanted;
    }
  }

  /**
   * Brings the listeners in line with {@code services} (the LoadBalancer services) and {@code
   * nodes}. Returns what cannot be served, one line each, sorted: for the NACK.
   */
  public List<String> sync(Collection<Service> services, Collection<Node> nodes) {
    List<String> errors = new ArrayList<>();
    NodeBackends.Nodes nodeSet =
        NodeBackends.nodes(nodes, health.options().unreadyNodesThreshold(), errors);
    if (nodeSet.readinessIgnored() != readinessIgnored) {
      readinessIgnored = nodeSet.readinessIgnored();
      if (readinessIgnored) {
        log.warn(
            "{} of {} nodes not ready at once: taken for a control-plane problem; readiness is"
                + " ignored and the health checks alone decide",
            nodeSet.notReady(),
            nodeSet.list().size());
      } else {
        log.info(
            "readiness believed again ({} of {} nodes not ready)",
            nodeSet.notReady(),
            nodeSet.list().size());
      }
    }
    List<NodeBackends.NodeAddress> nodeList = nodeSet.list();
    this.nodes = nodeList;
    Map<ServiceName, ServicePlan> plans = new HashMap<>();
    for (Service s : services) {
      try {
        ServicePlan plan = ServicePlan.of(s);
        plans.put(plan.key(), plan);
        errors.addAll(plan.warnings());
      } catch (IllegalArgumentException e) {
        errors.add(e.getMessage());
      }
    }
    Set<CheckTarget> checks = new HashSet<>();
    for (ServicePlan plan : plans.values()) {
      for (ServicePlan.PortPlan port : plan.ports()) {
        // Nodes that count as ready: in a full disruption every node does, so their checks (and
        // what they passed) carry on through it.
        for (NodeBackends.NodeAddress n : nodeList) {
          CheckTarget t = n.ready() ? NodeBackends.check(plan, port, n) : null;
          if (t != null) {
            checks.add(t);
          }
        }
      }
    }
    health.want(checks);

    Set<List<String>> tablesInUse = new HashSet<>();
    for (Iterator<Map.Entry<ServiceName, ServiceBinding>> it = bindings.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<ServiceName, ServiceBinding> e = it.next();
      if (!plans.containsKey(e.getKey())) {
        log.info("service {}: no longer a LoadBalancer here; closing its listeners", e.getKey());
        e.getValue().listeners.values().forEach(this::remove);
        it.remove();
      }
    }
    for (ServicePlan plan : plans.values()) {
      ServiceBinding b = bindings.computeIfAbsent(plan.key(), k -> new ServiceBinding());
      apply(b, plan, nodeList, tablesInUse);
    }
    tables.retainOnly(tablesInUse);
    syncErrors = List.copyOf(errors);
    return errors();
  }

  private void apply(
      ServiceBinding b,
      ServicePlan plan,
      List<NodeBackends.NodeAddress> nodes,
      Set<List<String>> tablesInUse) {
    b.plan = plan;
    b.proxyProtocol = plan.proxyProtocol();
    Map<ListenerKey, ServicePlan.PortPlan> wanted = new HashMap<>();
    for (ServicePlan.PortPlan port : plan.ports()) {
      wanted.put(
          new ListenerKey(
              port.protocol(),
              new InetSocketAddress(plan.ip(), port.port()),
              port.http(),
              port.h2()),
          port);
    }
    for (Iterator<Map.Entry<ListenerKey, Bound>> it = b.listeners.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<ListenerKey, Bound> e = it.next();
      if (!wanted.containsKey(e.getKey())) {
        remove(e.getValue());
        it.remove();
      }
    }
    for (Map.Entry<ListenerKey, ServicePlan.PortPlan> e : wanted.entrySet()) {
      ServicePlan.PortPlan port = e.getValue();
      ServiceTarget target = ServiceTarget.of(NodeBackends.endpoints(plan, port, nodes, health));
      prepareTables(target, tablesInUse);
      Bound bound = b.listeners.get(e.getKey());
      if (bound == null) {
        bound = newListener(b, plan, port, e.getKey(), target);
        b.listeners.put(e.getKey(), bound);
        start(bound);
        continue;
      }
      bound.picker.sourceRanges(plan.sourceRanges());
      if (!target.equals(bound.wanted)) {
        bound.wanted = target;
        if (bound.listener != null) {
          bound.listener.update(target);
        }
      }
      if (bound.listener == null
          && !bound.starting
          && bound.error != null
          && System.nanoTime() - bound.failedAtNanos >= BIND_RETRY_NANOS) {
        start(bound); // a bind that failed a while ago: try again
      }
    }
  }

  /** Builds both Maglev tiers of the target here, so that no event loop has to. */
  private void prepareTables(ServiceTarget target, Set<List<String>> inUse) {
    List<String> all = new ArrayList<>();
    List<String> usable = new ArrayList<>();
    target
        .endpoints()
        .forEach(
            ep -> {
              all.add(ep.nodeName().orElseThrow());
              if (ep.ready()) {
                usable.add(ep.nodeName().orElseThrow());
              }
            });
    inUse.add(tables.prepare(all));
    inUse.add(tables.prepare(usable));
  }

  private Bound newListener(
      ServiceBinding b,
      ServicePlan plan,
      ServicePlan.PortPlan port,
      ListenerKey key,
      ServiceTarget target) {
    MaglevPicker picker = new MaglevPicker(tables, plan.sourceRanges(), passive);
    ConnectionPreamble preamble =
        port.protocol() != Protocol.TCP
            ? ConnectionPreamble.NONE
            : (alloc, c, endpoint) ->
                b.proxyProtocol
                    ? ProxyProtocolV2.encode(alloc, c.client(), c.listenerAddress())
                    : null;
    ListenerOptions options = baseOptions.withPicker(() -> picker).withPreamble(preamble);
    ListenerSpec spec =
        new ListenerSpec(
                plan.key() + ":" + port.label(),
                port.protocol(),
                key.address(),
                options,
                port.http() ? http : null)
            .withH2(port.h2() ? h2 : null);
    return new Bound(spec, picker, target);
  }

  private void start(Bound b) {
    b.starting = true;
    b.error = null;
    forwarder
        .addListener(b.spec, b.wanted)
        .whenComplete((l, e) -> executor.execute(() -> started(b, l, e)));
  }

  private void started(Bound b, Listener l, Throwable e) {
    b.starting = false;
    if (e != null) {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      b.error = cause.getMessage();
      b.failedAtNanos = System.nanoTime();
      log.warn("{}", b.error);
    } else if (b.removed) {
      l.close();
      return;
    } else {
      b.listener = l;
      log.info(
          "bound {} -> {} nodes usable",
          b.spec.describe(),
          b.wanted.endpoints().stream().filter(ep -> ep.ready()).count());
      if (!l.target().equals(b.wanted)) {
        l.update(b.wanted);
      }
    }
    onBindResult.run();
  }

  private void remove(Bound b) {
    b.removed = true;
    if (b.listener != null) {
      log.info("closing {}", b.spec.describe());
      b.listener.close();
      b.listener = null;
    }
  }

  /** What cannot be served now: plan and node errors of the last sync, and failed binds. Sorted. */
  public List<String> errors() {
    Set<String> all = new TreeSet<>(syncErrors);
    for (ServiceBinding b : bindings.values()) {
      for (Bound l : b.listeners.values()) {
        if (l.error != null) {
          all.add(l.error);
        }
      }
    }
    return List.copyOf(all);
  }

  /** Services with every port bound, and the IP they are bound on: what the status should say. */
  public Map<ServiceName, String> bound() {
    Map<ServiceName, String> out = new HashMap<>();
    for (Map.Entry<ServiceName, ServiceBinding> e : bindings.entrySet()) {
      ServiceBinding b = e.getValue();
      if (!b.listeners.isEmpty()
          && b.listeners.values().stream().allMatch(l -> l.listener != null)) {
        out.put(e.getKey(), b.plan.ip().getHostAddress());
      }
    }
    return out;
  }

  /** The bound listeners of a service (for tests and metrics). */
  public List<Listener> listeners(ServiceName service) {
    ServiceBinding b = bindings.get(service);
    if (b == null) {
      return List.of();
    }
    return b.listeners.values().stream()
        .filter(l -> l.listener != null)
        .map(l -> l.listener)
        .toList();
  }

  /** Whether the last sync ignored the nodes' readiness (see {@link NodeBackends}). Any thread. */
  public boolean readinessIgnored() {
    return readinessIgnored;
  }

  /**
   * The nodes that serve every port of the service on their own merits (ready, checks passing, not
   * ejected), panic aside: what a test waits for before it counts where traffic goes. On the
   * executor.
   */
  public Set<String> passingNodes(ServiceName key) {
    ServiceBinding b = bindings.get(key);
    if (b == null) {
      return Set.of();
    }
    Set<String> passing = new TreeSet<>();
    for (NodeBackends.NodeAddress n : nodes) {
      if (b.plan.ports().stream().allMatch(port -> NodeBackends.usable(b.plan, port, n, health))) {
        passing.add(n.name());
      }
    }
    return passing;
  }

  /** Clients of a service refused by its source ranges so far. */
  public long refused(ServiceName service) {
    ServiceBinding b = bindings.get(service);
    return b == null ? 0 : b.listeners.values().stream().mapToLong(l -> l.picker.refused()).sum();
  }

  /** Closes every listener (open connections finish). On the executor. */
  @Override
  public void close() {
    for (ServiceBinding b : bindings.values()) {
      b.listeners.values().forEach(this::remove);
    }
    bindings.clear();
  }
}
