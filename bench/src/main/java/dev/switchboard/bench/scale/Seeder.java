package dev.switchboard.bench.scale;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Writes services and pods through the Admin API (the same path users take: validation, allocation
 * transactions), with at most {@code concurrency} calls in flight. Applies are idempotent, so a
 * call that fails transiently (etcd busy, contention) is simply sent again, up to a few times.
 */
final class Seeder {
  private static final int ATTEMPTS = 5;

  private final AdminGrpc.AdminFutureStub admin;
  private final Semaphore inFlight;
  private final int concurrency;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  Seeder(ManagedChannel channel, int concurrency) {
    this.admin = AdminGrpc.newFutureStub(channel);
    this.inFlight = new Semaphore(concurrency);
    this.concurrency = concurrency;
  }

  /** Creates services {@code [from, to)}, then their pods; returns the seconds it took. */
  double seed(int from, int to, int podsPerService, int nodes) throws InterruptedException {
    long begin = System.nanoTime();
    for (int i = from; i < to; i++) {
      ApplyServiceRequest request =
          ApplyServiceRequest.newBuilder().setService(Fixtures.service(i)).build();
      submit(() -> admin.withDeadlineAfter(30, TimeUnit.SECONDS).applyService(request), ATTEMPTS);
    }
    drain();
    for (int i = from; i < to; i++) {
      for (int j = 0; j < podsPerService; j++) {
        ApplyPodRequest request =
            ApplyPodRequest.newBuilder().setPod(Fixtures.pod(i, j, podsPerService, nodes)).build();
        submit(() -> admin.withDeadlineAfter(30, TimeUnit.SECONDS).applyPod(request), ATTEMPTS);
      }
    }
    drain();
    return (System.nanoTime() - begin) / 1e9;
  }

  private <T> void submit(Supplier<ListenableFuture<T>> call, int attemptsLeft)
      throws InterruptedException {
    Throwable failed = failure.get();
    if (failed != null) {
      throw new IllegalStateException("seeding failed: " + failed, failed);
    }
    inFlight.acquire();
    send(call, attemptsLeft);
  }

  private <T> void send(Supplier<ListenableFuture<T>> call, int attemptsLeft) {
    Futures.addCallback(
        call.get(),
        new FutureCallback<T>() {
          @Override
          public void onSuccess(T result) {
            inFlight.release();
          }

          @Override
          public void onFailure(Throwable t) {
            Status.Code code = Status.fromThrowable(t).getCode();
            boolean transient_ =
                code == Status.Code.UNAVAILABLE
                    || code == Status.Code.ABORTED
                    || code == Status.Code.DEADLINE_EXCEEDED
                    || code == Status.Code.INTERNAL;
            if (transient_ && attemptsLeft > 1) {
              send(call, attemptsLeft - 1);
            } else {
              failure.compareAndSet(null, t);
              inFlight.release();
            }
          }
        },
        MoreExecutors.directExecutor());
  }

  /** Waits for every call in flight. */
  private void drain() throws InterruptedException {
    if (!inFlight.tryAcquire(concurrency, 30, TimeUnit.MINUTES)) {
      throw new IllegalStateException("seeding: calls still in flight after 30 min");
    }
    inFlight.release(concurrency);
    Throwable failed = failure.get();
    if (failed != null) {
      throw new IllegalStateException("seeding failed: " + failed, failed);
    }
  }
}
