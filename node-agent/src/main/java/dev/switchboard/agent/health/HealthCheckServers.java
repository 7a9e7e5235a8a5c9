package dev.switchboard.agent.health;

import dev.switchboard.agent.proxier.HealthCheckPlan;
import dev.switchboard.discovery.client.ServiceName;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The healthCheckNodePorts of LoadBalancer services with externalTrafficPolicy Local, served on the
 * node address as kube-proxy does: 200 while this node has ready endpoints of the service, 503
 * otherwise, with {@code {"service":{"namespace":..,"name":..},"localEndpoints":N}}. A change of
 * the count only swaps what the server answers; the socket stays.
 *
 * <p>Not thread-safe: synced on the agent's executor (answers are read from event loops through an
 * {@link AtomicReference}).
 */
public final class HealthCheckServers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthCheckServers.class);

  private record Server(
      ServiceName owner, AtomicReference<HealthCheckPlan> plan, HttpEndpoint http) {}

  private final EventLoopGroup group;
  private final InetAddress nodeAddress;
  private final Map<ServiceName, HealthCheckPlan> wanted = new HashMap<>();
  private final Map<Integer, Server> servers = new HashMap<>();
  private final Map<ServiceName, String> failures = new HashMap<>();

  public HealthCheckServers(EventLoopGroup group, InetAddress nodeAddress) {
    this.group = group;
    this.nodeAddress = nodeAddress;
  }

  /**
   * Applies the health checks of the services that changed (empty: none wanted) and retries the
   * ones that could not bind.
   *
   * @return what could not be served, sorted
   */
  public List<String> sync(Map<ServiceName, Optional<HealthCheckPlan>> changed) {
    for (Map.Entry<ServiceName, Optional<HealthCheckPlan>> e : changed.entrySet()) {
      ServiceName name = e.getKey();
      HealthCheckPlan old = wanted.remove(name);
      failures.remove(name);
      if (old != null && (e.getValue().isEmpty() || e.getValue().get().port() != old.port())) {
        Server s = servers.get(old.port());
        if (s != null && s.owner().equals(name)) {
          servers.remove(old.port());
          s.http().close();
          log.info("closed health check {} of service {}", old.port(), name);
        }
      }
      e.getValue()
          .ifPresent(
              plan -> {
                wanted.put(name, plan);
                serve(plan);
              });
    }
    for (ServiceName name : List.copyOf(failures.keySet())) {
      if (!changed.containsKey(name)) {
        serve(wanted.get(name));
      }
    }
    return List.copyOf(new TreeSet<>(failures.values()));
  }

  /** The port a service's health check is served on, for tests and status. */
  public Optional<Integer> portOf(ServiceName name) {
    HealthCheckPlan p = wanted.get(name);
    return p != null && servers.containsKey(p.port()) ? Optional.of(p.port()) : Optional.empty();
  }

  private void serve(HealthCheckPlan plan) {
    Server s = servers.get(plan.port());
    if (s != null) {
      if (s.owner().equals(plan.service())) {
        s.plan().set(plan);
        failures.remove(plan.service());
      } else {
        failures.put(
            plan.service(),
            "service "
                + plan.service()
                + " healthCheckNodePort "
                + plan.port()
                + ": not served: the port belongs to service "
                + s.owner());
      }
      return;
    }
    AtomicReference<HealthCheckPlan> current = new AtomicReference<>(plan);
    InetSocketAddress address = new InetSocketAddress(nodeAddress, plan.port());
    try {
      HttpEndpoint http =
          HttpEndpoint.bind(
              group, address, (method, path) -> answer(current.get()), Duration.ofSeconds(5));
      servers.put(plan.port(), new Server(plan.service(), current, http));
      if (failures.remove(plan.service()) != null) {
        log.info(
            "serving health check of service {} on {} after earlier failures",
            plan.service(),
            HttpEndpoint.hostPort(address));
      }
    } catch (IOException e) {
      String reason =
          "service "
              + plan.service()
              + " healthCheckNodePort (TCP "
              + HttpEndpoint.hostPort(address)
              + "): "
              + e.getMessage();
      if (!reason.equals(failures.put(plan.service(), reason))) {
        log.warn("{}", reason);
      }
    }
  }

  static HttpEndpoint.Response answer(HealthCheckPlan plan) {
    String body =
        "{\"service\":{\"namespace\":"
            + quote(plan.service().namespace())
            + ",\"name\":"
            + quote(plan.service().name())
            + "},\"localEndpoints\":"
            + plan.localEndpoints()
            + ",\"serviceProxyHealthy\":true}\n";
    return HttpEndpoint.Response.json(plan.localEndpoints() > 0 ? 200 : 503, body);
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  @Override
  public void close() {
    servers.values().forEach(s -> s.http().close());
    servers.clear();
  }
}
