package dev.switchboard.lb.nodes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Rise/fall and passive ejection against a scripted probe; real scheduling, short intervals. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class NodeHealthTest {
  private static final CheckTarget A =
      new CheckTarget("a", new InetSocketAddress("127.0.1.1", 30080), CheckTarget.Kind.TCP);
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final Map<CheckTarget, String> answers = new ConcurrentHashMap<>();
  private final AtomicInteger changes = new AtomicInteger();
  private final AtomicInteger checks = new AtomicInteger();
  private final Probe probe =
      (t, timeout) -> {
        checks.incrementAndGet();
        String a = answers.getOrDefault(t, "");
        return CompletableFuture.completedFuture(a.isEmpty() ? null : a);
      };
  private final NodeHealth health =
      new NodeHealth(
          new HealthOptions(
              Duration.ofMillis(20), Duration.ofMillis(20), 2, 3, Duration.ofMillis(300), 1.0),
          probe,
          executor,
          changes::incrementAndGet);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private <T> T on(Supplier<T> s) throws Exception {
    return CompletableFuture.supplyAsync(s, executor).get(5, TimeUnit.SECONDS);
  }

  @Test
  void checksGoUpThenDownAfterFallFailuresThenBack() throws Exception {
    on(
        () -> {
          health.want(Set.of(A));
          return null;
        });
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> health.up(A)));
    answers.put(A, "connection refused");
    await().atMost(Duration.ofSeconds(5)).until(() -> !on(() -> health.up(A)));
    assertThat(on(() -> health.lastFailure(A))).isEqualTo("connection refused");
    answers.remove(A);
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> health.up(A)));
    assertThat(changes.get()).isEqualTo(3);
  }

  @Test
  void targetsNoLongerWantedAreForgottenAndNotChecked() throws Exception {
    on(
        () -> {
          health.want(Set.of(A));
          return null;
        });
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> health.up(A)));
    on(
        () -> {
          health.want(Set.of());
          return null;
        });
    assertThat(on(() -> health.up(A))).isFalse();
    int after = checks.get();
    await()
        .during(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(2))
        .until(() -> checks.get() <= after + 1);
  }

  @Test
  void aRefusedConnectionEjectsTheEndpointForTheEjectionTime() throws Exception {
    InetSocketAddress endpoint = new InetSocketAddress("127.0.1.2", 30080);
    long start = System.nanoTime();
    health.connectFailed("b", endpoint);
    await().atMost(Duration.ofSeconds(2)).until(() -> on(() -> health.ejected(endpoint)));
    assertThat(changes.get()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> !on(() -> health.ejected(endpoint)));
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    await().atMost(Duration.ofSeconds(2)).until(() -> changes.get() == 2); // told when it ends
  }
}
