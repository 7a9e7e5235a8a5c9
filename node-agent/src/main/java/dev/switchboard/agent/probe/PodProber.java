package dev.switchboard.agent.probe;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.switchboard.discovery.client.Backoff;
import dev.switchboard.forwarder.probe.SocketProber;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Probe;
import dev.switchboard.v1.SetPodConditionsRequest;
import dev.switchboard.v1.WatchEvent;
import dev.switchboard.v1.WatchRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet's prober for this node's pods. It watches the pods bound to this node (Admin {@code
 * Watch} with {@code spec.nodeName=<node>}, as a kubelet watches its pods), runs each pod's
 * readiness and startup probes on their schedules, and writes the pod's Ready condition whenever
 * what the probes say differs from what is stored (level-triggered: a transition is one write, a
 * probe that keeps saying the same is none, and a write lost while the control plane was away is
 * made again when it is back, the latest state winning).
 *
 * <p>Probes run off every forwarding event loop: sockets on the {@link SocketProber}'s own loop,
 * state on {@code executor}, a thread this object owns. Probing goes on while the control plane is
 * away; the watch reconnects with {@code backoff}.
 */
public final class PodProber implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodProber.class);

  private final String node;
  private final AdminGrpc.AdminStub admin;
  private final ScheduledExecutorService executor;
  private final SocketProber sockets;
  private final ProbeRunner runner;
  private final Backoff backoff;
  private final AtomicLong writes = new AtomicLong();

  /** probes.size(), for readers on other threads. */
  private volatile int probedPods;

  /** Pods bound to this node, as last watched, by namespace/name. On the executor. */
  @GuardedBy("executor")
  private final Map<String, Pod> pods = new HashMap<>();

  /** The probes of the probed ones. On the executor. */
  @GuardedBy("executor")
  private final Map<String, PodProbes> probes = new HashMap<>();

  /** Pods with a condition write in flight. On the executor. */
  @GuardedBy("executor")
  private final Set<String> writing = new HashSet<>();

  /** Consecutive failed writes per pod, for their backoff. On the executor. */
  @GuardedBy("executor")
  private final Map<String, Integer> writeFailures = new HashMap<>();

  /** Pods seen since the watch started; null once its initial list is over. On the executor. */
  @GuardedBy("executor")
  private Set<String> relisted;

  @GuardedBy("executor")
  private int failures;

  @GuardedBy("executor")
  private ClientCallStreamObserver<WatchRequest> watch;

  @GuardedBy("executor")
  private boolean closed;

  /**
   * @param controlPlane the Admin API (a node certificate may watch and report its own pods)
   * @param executor a single thread this object owns and shuts down on {@link #close}
   */
  public PodProber(
      String node,
      Channel controlPlane,
      SocketProber sockets,
      ScheduledExecutorService executor,
      Backoff backoff) {
    this.node = node;
    this.admin = AdminGrpc.newStub(controlPlane);
    this.executor = executor;
    this.sockets = sockets;
    this.runner = new ProbeRunner(sockets, executor);
    this.backoff = backoff;
  }

  public void start() {
    run(this::watch);
  }

  /** Condition writes made so far (each one a Ready transition): for tests and metrics. */
  public long writes() {
    return writes.get();
  }

  @Override
  public void close() {
    try {
      executor
          .submit(
              () -> {
                closed = true;
                if (watch != null) {
                  watch.cancel("node agent stopping", null);
                }
              })
          .get(5, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      // closed already, or stuck: stopped below all the same
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // shutdownNow: the scheduled probes are delayed tasks, which a plain shutdown would wait for.
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sockets.close();
  }

  private void run(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException closing) {
      // stopping
    }
  }

  private void watch() {
    if (closed) {
      return;
    }
    // Always a fresh list of this node's pods (the control plane indexes pods by node, so it is
    // cheap), never a replay from a version: a replay reads the whole cluster's pods from etcd.
    relisted = new HashSet<>();
    admin.watch(
        WatchRequest.newBuilder()
            .setKind(Kind.POD)
            .setFieldSelector("spec.nodeName=" + node)
            .build(),
        new ClientResponseObserver<WatchRequest, WatchEvent>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<WatchRequest> stream) {
            run(() -> watch = stream);
          }

          @Override
          public void onNext(WatchEvent event) {
            run(() -> onEvent(event));
          }

          @Override
          public void onError(Throwable t) {
            run(() -> watchEnded(Status.fromThrowable(t)));
          }

          @Override
          public void onCompleted() {
            run(() -> watchEnded(Status.UNAVAILABLE.withDescription("watch ended")));
          }
        });
  }

  private void watchEnded(Status status) {
    watch = null;
    if (closed) {
      return;
    }
    failures++;
    Duration delay = backoff.delay(failures);
    log.info(
        "pod watch ended ({}: {}); again in {} ms",
        status.getCode(),
        status.getDescription(),
        delay.toMillis());
    executor.schedule(this::watch, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void onEvent(WatchEvent event) {
    failures = 0;
    switch (event.getType()) {
      case ADDED, MODIFIED -> upsert(event.getPod());
      case DELETED -> remove(key(event.getPod()));
      case BOOKMARK -> {
        if (relisted != null) { // the initial list is over: whatever it did not list is gone
          Set<String> gone = new HashSet<>(pods.keySet());
          gone.removeAll(relisted);
          gone.forEach(this::remove);
          relisted = null;
        }
      }
      default -> {}
    }
  }

  private void upsert(Pod pod) {
    String key = key(pod);
    if (relisted != null) {
      relisted.add(key);
    }
    pods.put(key, pod);
    PodProbes current = probes.get(key);
    if (current != null && current.sameProbes(pod)) {
      reconcile(key); // the stored condition may have changed under us
      return;
    }
    if (current != null) {
      stop(current);
      probes.remove(key);
      probedPods = probes.size();
    }
    if (PodProbes.probed(pod)) {
      PodProbes started = new PodProbes(pod);
      probes.put(key, started);
      probedPods = probes.size();
      for (PodProbes.Slot slot : started.slots()) {
        schedule(
            key, started, slot, Duration.ofSeconds(slot.state.probe().getInitialDelaySeconds()));
      }
    }
  }

  private void remove(String key) {
    pods.remove(key);
    writeFailures.remove(key);
    PodProbes p = probes.remove(key);
    probedPods = probes.size();
    if (p != null) {
      stop(p);
    }
  }

  private static void stop(PodProbes p) {
    for (PodProbes.Slot s : p.slots()) {
      if (s.next != null) {
        s.next.cancel(false);
      }
    }
  }

  private void schedule(String key, PodProbes p, PodProbes.Slot slot, Duration delay) {
    slot.next = executor.schedule(() -> probe(key, p, slot), delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Runs the slot's probe if it is active, then schedules its next run one period after this one
   * started.
   */
  private void probe(String key, PodProbes p, PodProbes.Slot slot) {
    if (closed || probes.get(key) != p) {
      return;
    }
    Probe probe = slot.state.probe();
    Duration period = Duration.ofSeconds(Math.max(1, probe.getPeriodSeconds()));
    if (!p.active(slot)) {
      schedule(key, p, slot, period);
      return;
    }
    long started = System.nanoTime();
    runner
        .run(p.pod(), probe)
        .whenComplete(
            (failure, error) ->
                run(
                    () -> {
                      if (closed || probes.get(key) != p) {
                        return;
                      }
                      if (slot.state.record(error != null ? error.toString() : failure)) {
                        log.info(
                            "pod {}: {} probe of {} {}",
                            key,
                            slot.startup ? "startup" : "readiness",
                            slot.container,
                            slot.state.passing() ? "passes" : "fails: " + slot.state.lastFailure());
                        reconcile(key);
                      }
                      long elapsed = System.nanoTime() - started;
                      schedule(
                          key, p, slot, period.minusNanos(Math.min(elapsed, period.toNanos())));
                    }));
  }

  /**
   * Writes the pod's Ready when the probes disagree with what is stored; one write in flight per
   * pod.
   */
  private void reconcile(String key) {
    PodProbes p = probes.get(key);
    Pod stored = pods.get(key);
    if (closed || p == null || stored == null || writing.contains(key)) {
      return;
    }
    boolean ready = p.ready();
    if (stored.getStatus().getReady() == ready) {
      return;
    }
    String reason = p.reason();
    writing.add(key);
    writes.incrementAndGet();
    admin
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .setPodConditions(
            SetPodConditionsRequest.newBuilder()
                .setNamespace(stored.getMetadata().getNamespace())
                .setName(stored.getMetadata().getName())
                .setReady(ready)
                .setReadyMessage(reason)
                .build(),
            new StreamObserver<>() {
              @Override
              public void onNext(Pod written) {
                run(
                    () -> {
                      Pod now = pods.get(key);
                      if (now != null
                          && now.getMetadata().getResourceVersion()
                              < written.getMetadata().getResourceVersion()) {
                        pods.put(key, written);
                      }
                    });
              }

              @Override
              public void onError(Throwable t) {
                Status s = Status.fromThrowable(t);
                run(
                    () -> {
                      writing.remove(key);
                      int n = writeFailures.merge(key, 1, Integer::sum);
                      Duration delay = backoff.delay(n);
                      if (n == 1
                          || n % 30
                              == 0) { // the control plane may be away for a while: say so, not on
                        // every try
                        log.warn(
                            "pod {}: could not write ready={} ({}: {}; {} tries); again in {} ms",
                            key,
                            ready,
                            s.getCode(),
                            s.getDescription(),
                            n,
                            delay.toMillis());
                      }
                      executor.schedule(
                          () -> reconcile(key), delay.toNanos(), TimeUnit.NANOSECONDS);
                    });
              }

              @Override
              public void onCompleted() {
                run(
                    () -> {
                      writing.remove(key);
                      writeFailures.remove(key);
                      reconcile(key); // the probes may have changed their minds meanwhile
                    });
              }
            });
  }

  private static String key(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }

  /** How many pods this node probes (for /statusz). Any thread. */
  public int probedPods() {
    return probedPods;
  }
}
