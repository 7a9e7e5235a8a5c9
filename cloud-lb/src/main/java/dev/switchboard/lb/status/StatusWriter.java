package dev.switchboard.lb.status;

import dev.switchboard.discovery.client.Backoff;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.LoadBalancerStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceStatus;
import dev.switchboard.v1.UpdateServiceStatusRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@code status.loadBalancer.ingress = [{ip}]} through {@code Admin.UpdateServiceStatus} for
 * each service whose listeners are all bound, when the status the stream shows differs; that is
 * what makes {@code get} show an EXTERNAL-IP. Several replicas write the same value: the control
 * plane ignores a write that changes nothing. Clearing is not done here: the control plane clears
 * the status itself when a service stops being a LoadBalancer (and a deleted service has none).
 *
 * <p>Concurrency: confined to the load balancer's control thread ({@code executor}); RPC callbacks
 * are handed back to it. At most one write per service is in flight; a failed one is retried with
 * backoff.
 */
public final class StatusWriter {
  private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);
  private static final Duration RPC_DEADLINE = Duration.ofSeconds(10);

  private final AdminGrpc.AdminStub admin;
  private final ScheduledExecutorService executor;
  private final Backoff backoff;
  private final Runnable resync;

  /** On the executor. */
  private final Set<ServiceName> inFlight = new HashSet<>();

  /** Consecutive failed writes per service. */
  private final Map<ServiceName, Integer> failures = new HashMap<>();

  /** Services waiting out the backoff after a failed write. */
  private final Set<ServiceName> backingOff = new HashSet<>();

  /**
   * @param resync asks for another {@link #sync} (after a failed write's backoff)
   */
  public StatusWriter(
      AdminGrpc.AdminStub admin,
      ScheduledExecutorService executor,
      Backoff backoff,
      Runnable resync) {
    this.admin = admin;
    this.executor = executor;
    this.backoff = backoff;
    this.resync = resync;
  }

  /** The status the load balancer writes for a service bound on {@code ip}. */
  public static ServiceStatus statusFor(String ip) {
    return ServiceStatus.newBuilder()
        .setLoadBalancer(
            LoadBalancerStatus.newBuilder().addIngress(LoadBalancerIngress.newBuilder().setIp(ip)))
        .build();
  }

  /**
   * @param bound the services with every port bound, and their IP
   * @param current the services as the stream last showed them (null when no longer there)
   */
  public void sync(Map<ServiceName, String> bound, Function<ServiceName, Service> current) {
    failures.keySet().retainAll(bound.keySet());
    for (Map.Entry<ServiceName, String> e : bound.entrySet()) {
      ServiceName key = e.getKey();
      Service now = current.apply(key);
      ServiceStatus wanted = statusFor(e.getValue());
      if (now == null
          || now.getStatus().equals(wanted)
          || inFlight.contains(key)
          || backingOff.contains(key)) {
        continue;
      }
      write(key, wanted);
    }
  }

  private void write(ServiceName key, ServiceStatus status) {
    inFlight.add(key);
    UpdateServiceStatusRequest request =
        UpdateServiceStatusRequest.newBuilder()
            .setNamespace(key.namespace())
            .setName(key.name())
            .setStatus(status)
            .build();
    admin
        .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .updateServiceStatus(
            request,
            new StreamObserver<>() {
              @Override
              public void onNext(Service value) {}

              @Override
              public void onError(Throwable t) {
                executor.execute(() -> failed(key, Status.fromThrowable(t)));
              }

              @Override
              public void onCompleted() {
                executor.execute(() -> written(key, status));
              }
            });
  }

  private void written(ServiceName key, ServiceStatus status) {
    inFlight.remove(key);
    failures.remove(key);
    log.info(
        "service {}: status.loadBalancer.ingress = {}",
        key,
        status.getLoadBalancer().getIngress(0).getIp());
  }

  private void failed(ServiceName key, Status status) {
    inFlight.remove(key);
    if (status.getCode() == Status.Code.NOT_FOUND) {
      failures.remove(key); // deleted meanwhile: the stream will say so
      return;
    }
    int n = failures.merge(key, 1, Integer::sum);
    Duration delay = backoff.delay(n);
    log.warn(
        "service {}: writing status failed ({}: {}); retrying in {} ms",
        key,
        status.getCode(),
        status.getDescription(),
        delay.toMillis());
    backingOff.add(key);
    executor.schedule(
        () -> {
          backingOff.remove(key);
          resync.run();
        },
        delay.toNanos(),
        TimeUnit.NANOSECONDS);
  }

  /** Writes in flight or waiting to be retried, for tests. On the executor. */
  public int pending() {
    return inFlight.size() + backingOff.size();
  }
}
