package dev.switchboard.agent.proxier;

import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerBindException;
import dev.switchboard.forwarder.ListenerOptions;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.h2.H2Options;
import dev.switchboard.forwarder.http.HttpOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the forwarder's listeners equal to what the services ask for. Each sync takes the new plans
 * of the services that changed, closes what they no longer want, updates the endpoints of listeners
 * that stay (open connections are untouched), and binds what is new; listeners of other services
 * are not looked at.
 *
 * <p>A listener that cannot bind (its port is taken by another process, its address is not local)
 * is reported with a reason naming the service, port and address, and tried again at every sync
 * until it binds or is no longer wanted; every other listener works meanwhile.
 *
 * <p>Not thread-safe: confined to the agent's executor. Waits for the forwarder (binds are quick),
 * at most {@code timeout} per step.
 */
public final class Proxier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Proxier.class);

  private record Bound(ListenerPlan plan, Listener listener) {}

  private final ListenerFactory factory;
  private final ListenerOptions options;
  private final Duration timeout;

  /** For ports marked http; null: every listener is plain L4. */
  private final HttpOptions http;

  /** For ports marked h2c/grpc; null: plain L4. */
  private final H2Options h2;

  /** What each service wants, bound or not. */
  private final Map<ServiceName, List<ListenerPlan>> wanted = new HashMap<>();

  /** Which service a socket belongs to; a second service wanting it is in conflict. */
  private final Map<ListenerKey, ServiceName> owners = new HashMap<>();

  private final Map<ListenerKey, Bound> bound = new HashMap<>();

  /** Owned, wanted and not bound: why. */
  private final Map<ListenerKey, String> failures = new HashMap<>();

  /** Sockets a service wanted while another owned them. */
  private final Set<ListenerKey> contested = new HashSet<>();

  private final Map<ServiceName, List<String>> serviceErrors = new HashMap<>();

  public Proxier(ListenerFactory factory, ListenerOptions options, Duration timeout) {
    this(factory, options, timeout, null);
  }

  /**
   * @param http how listeners of ports marked http forward (null: as plain TCP)
   */
  public Proxier(
      ListenerFactory factory, ListenerOptions options, Duration timeout, HttpOptions http) {
    this(factory, options, timeout, http, null);
  }

  /**
   * @param http how listeners of ports marked http forward (null: as plain TCP)
   * @param h2 how listeners of ports marked h2c/grpc forward (null: as plain TCP)
   */
  public Proxier(
      ListenerFactory factory,
      ListenerOptions options,
      Duration timeout,
      HttpOptions http,
      H2Options h2) {
    this.factory = factory;
    this.options = options;
    this.timeout = timeout;
    this.http = http;
    this.h2 = h2;
  }

  /**
   * Applies the plans of the services that changed ({@link ServicePlan#NONE} for a deleted one) and
   * retries failed listeners.
   *
   * @return what is not programmed, one line per problem, sorted; empty when all is well
   */
  public List<String> sync(Map<ServiceName, ServicePlan> changed) {
    // 1. Close what changed services no longer want (or want with another socket), first, so a
    //    port moving between services in one sync is free when it is bound again.
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    Set<ListenerKey> released = new HashSet<>();
    for (Map.Entry<ServiceName, ServicePlan> e : changed.entrySet()) {
      Map<ListenerKey, ListenerPlan> next = byKey(e.getValue().listeners());
      for (ListenerPlan old : wanted.getOrDefault(e.getKey(), List.of())) {
        ListenerPlan replacement = next.get(old.key());
        if (!e.getKey().equals(owners.get(old.key()))) {
          continue;
        }
        if (replacement == null || !replacement.sameSocket(old)) {
          Bound b = bound.remove(old.key());
          if (b != null) {
            log.info("closing {}", old.describe());
            closing.add(b.listener().close());
          }
          failures.remove(old.key());
          if (replacement == null) {
            owners.remove(old.key());
            released.add(old.key());
          }
        }
      }
    }
    await(closing, "closing listeners");

    // 2. Record the new plans; update what stays, collect what to bind.
    Map<ListenerKey, ListenerPlan> toBind = new LinkedHashMap<>();
    List<CompletableFuture<Void>> updating = new ArrayList<>();
    for (Map.Entry<ServiceName, ServicePlan> e : changed.entrySet()) {
      ServiceName name = e.getKey();
      ServicePlan plan = e.getValue();
      List<String> errors = new ArrayList<>(plan.errors());
      if (plan.listeners().isEmpty()) {
        wanted.remove(name);
      } else {
        wanted.put(name, plan.listeners());
      }
      for (ListenerPlan l : plan.listeners()) {
        ServiceName owner = owners.putIfAbsent(l.key(), name);
        if (owner != null && !owner.equals(name)) {
          contested.add(l.key());
          errors.add(l.describe() + ": not bound: the socket belongs to service " + owner);
          continue;
        }
        Bound b = bound.get(l.key());
        if (b == null) {
          toBind.put(l.key(), l);
        } else {
          if (!b.plan().target().equals(l.target())) {
            updating.add(b.listener().update(l.target()));
          }
          bound.put(l.key(), new Bound(l, b.listener()));
        }
      }
      if (errors.isEmpty()) {
        serviceErrors.remove(name);
      } else {
        serviceErrors.put(name, errors);
      }
    }
    // A socket released above may be wanted by a service that lost it to the previous owner.
    for (ListenerKey key : released) {
      if (contested.remove(key)) {
        adoptContested(key, toBind);
      }
    }
    // Retry every failed listener that no change touched.
    for (ListenerKey key : failures.keySet()) {
      if (!toBind.containsKey(key)) {
        planOf(key).ifPresent(p -> toBind.put(key, p));
      }
    }

    // 3. Bind, all at once, then wait.
    Map<ListenerKey, CompletableFuture<Listener>> opening = new LinkedHashMap<>();
    for (ListenerPlan l : toBind.values()) {
      ListenerSpec spec =
          new ListenerSpec(
                  l.listenerName(),
                  l.key().protocol(),
                  l.key().socketAddress(),
                  options.withReusePort(l.reusePort()).withAcceptProxyHeader(l.acceptProxyHeader()))
              .withHttp(l.http() ? http : null)
              .withH2(l.h2() ? h2 : null);
      opening.put(l.key(), factory.open(spec, l.target()));
    }
    for (Map.Entry<ListenerKey, CompletableFuture<Listener>> e : opening.entrySet()) {
      ListenerPlan l = toBind.get(e.getKey());
      try {
        Listener listener = e.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        bound.put(l.key(), new Bound(l, listener));
        if (failures.remove(l.key()) != null) {
          log.info("bound {} after earlier failures", l.describe());
        } else {
          log.info("bound {}", l.describe());
        }
      } catch (ExecutionException ex) {
        String reason = l.describe() + ": cannot bind: " + reason(ex.getCause());
        if (!reason.equals(failures.put(l.key(), reason))) {
          log.warn("{}", reason);
        }
      } catch (TimeoutException ex) {
        e.getValue().thenAccept(Listener::close); // if it binds later, it is not ours any more
        failures.put(
            l.key(),
            l.describe() + ": cannot bind: no answer within " + timeout.toMillis() + " ms");
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        failures.put(l.key(), l.describe() + ": interrupted while binding");
      }
    }
    await(updating, "updating endpoints");
    return errors();
  }

  /**
   * Everything not programmed, sorted: bind failures and what services asked that cannot be done.
   */
  public List<String> errors() {
    TreeSet<String> all = new TreeSet<>(failures.values());
    serviceErrors.values().forEach(all::addAll);
    return List.copyOf(all);
  }

  /** Listeners bound now. */
  public int boundCount() {
    return bound.size();
  }

  /** The bound listeners with their plans, for status pages and tests. */
  public Map<ListenerKey, Listener> listeners() {
    Map<ListenerKey, Listener> out = new HashMap<>();
    bound.forEach((k, b) -> out.put(k, b.listener()));
    return out;
  }

  /** Closes every listener; open connections are left to finish. */
  @Override
  public void close() {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    bound.values().forEach(b -> closing.add(b.listener().close()));
    bound.clear();
    await(closing, "closing listeners");
  }

  private void adoptContested(ListenerKey key, Map<ListenerKey, ListenerPlan> toBind) {
    for (Map.Entry<ServiceName, List<ListenerPlan>> e : wanted.entrySet()) {
      for (ListenerPlan l : e.getValue()) {
        if (l.key().equals(key)) {
          owners.put(key, e.getKey());
          toBind.put(key, l);
          List<String> errors = serviceErrors.get(e.getKey());
          if (errors != null) {
            errors.removeIf(s -> s.startsWith(l.describe() + ": not bound"));
          }
          return;
        }
      }
    }
  }

  private java.util.Optional<ListenerPlan> planOf(ListenerKey key) {
    ServiceName owner = owners.get(key);
    if (owner == null) {
      return java.util.Optional.empty();
    }
    return wanted.getOrDefault(owner, List.of()).stream()
        .filter(l -> l.key().equals(key))
        .findFirst();
  }

  private static Map<ListenerKey, ListenerPlan> byKey(List<ListenerPlan> plans) {
    Map<ListenerKey, ListenerPlan> out = new HashMap<>();
    for (ListenerPlan p : plans) {
      out.putIfAbsent(p.key(), p);
    }
    return out;
  }

  private static String reason(Throwable t) {
    Throwable cause = t instanceof ListenerBindException && t.getCause() != null ? t.getCause() : t;
    String m = cause.getMessage();
    return m == null ? cause.getClass().getSimpleName() : m;
  }

  private void await(List<CompletableFuture<Void>> futures, String what) {
    if (futures.isEmpty()) {
      return;
    }
    try {
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn("{}: {}", what, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
