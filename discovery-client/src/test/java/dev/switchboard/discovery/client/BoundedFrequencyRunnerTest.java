package dev.switchboard.discovery.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class BoundedFrequencyRunnerTest {
  private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(4);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  @Test
  void aLoneRequestRunsAtOnce() {
    AtomicInteger runs = new AtomicInteger();
    try (BoundedFrequencyRunner r =
        new BoundedFrequencyRunner(
            "t",
            runs::incrementAndGet,
            Duration.ofSeconds(10),
            Duration.ZERO,
            executor,
            System::nanoTime)) {
      long start = System.nanoTime();
      r.run();
      await().atMost(Duration.ofSeconds(2)).until(() -> runs.get() == 1);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }
  }

  @Test
  void aBurstOfRequestsMergesAndRunsStayApartByTheMinimumInterval() throws Exception {
    List<Long> starts = new CopyOnWriteArrayList<>();
    CountDownLatch firstRunning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger maxConcurrent = new AtomicInteger();
    Runnable task =
        () -> {
          maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
          starts.add(System.nanoTime());
          firstRunning.countDown();
          try {
            release.await(5, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          concurrent.decrementAndGet();
        };
    Duration min = Duration.ofMillis(200);
    try (BoundedFrequencyRunner r =
        new BoundedFrequencyRunner("t", task, min, Duration.ZERO, executor, System::nanoTime)) {
      r.run();
      firstRunning.await(5, TimeUnit.SECONDS);
      for (int i = 0; i < 1000; i++) {
        r.run(); // while the first run is in flight: all merge into one more run
      }
      release.countDown();
      await().atMost(Duration.ofSeconds(3)).until(() -> starts.size() == 2);
      for (int i = 0; i < 1000; i++) {
        r.run();
      }
      await().atMost(Duration.ofSeconds(3)).until(() -> starts.size() == 3);
    }
    assertThat(maxConcurrent.get()).isEqualTo(1);
    // The runner takes its start time just before calling the task, the task a moment later:
    // allow that moment (5 ms) in what the task sees.
    long slack = Duration.ofMillis(5).toNanos();
    assertThat(starts.get(1) - starts.get(0)).isGreaterThanOrEqualTo(min.toNanos() - slack);
    assertThat(starts.get(2) - starts.get(1)).isGreaterThanOrEqualTo(min.toNanos() - slack);
  }

  @Test
  void runsPeriodicallyWithAMaximumInterval() {
    AtomicInteger runs = new AtomicInteger();
    try (BoundedFrequencyRunner r =
        new BoundedFrequencyRunner(
            "t",
            runs::incrementAndGet,
            Duration.ofMillis(10),
            Duration.ofMillis(50),
            executor,
            System::nanoTime)) {
      r.run();
      await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 4);
    }
  }
}
