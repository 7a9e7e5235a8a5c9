package dev.switchboard.bench.grpc;

import dev.switchboard.testing.GrpcBackend;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A closed-loop gRPC load generator (ghz's shape, in grpc-java): a few channels (one HTTP/2
 * connection each), many unary calls in flight on each; every answer starts the next call until the
 * time is up. Latencies go to a histogram of 10 µs buckets (up to 1 s), answers are counted by the
 * endpoint that gave them (its name is the answer). Bounded: it stops issuing at the deadline and
 * waits at most 10 s for the calls in flight.
 */
final class GrpcLoad {
  private static final int BUCKET_MICROS = 10;
  private static final int BUCKETS = 100_000; // 1 s

  /** One run's figures. */
  record Result(
      double callsPerSecond, double p50Micros, double p99Micros, long errors, long[] byEndpoint) {
    /** Largest deviation of an endpoint's share from an even share, in percent of it. */
    double spreadPercent() {
      long total = 0;
      int n = 0;
      for (long c : byEndpoint) {
        if (c > 0) {
          total += c;
          n++;
        }
      }
      if (n <= 1) {
        return 0;
      }
      double even = (double) total / byEndpoint.length;
      double worst = 0;
      for (long c : byEndpoint) {
        worst = Math.max(worst, Math.abs(c - even) / even * 100);
      }
      return worst;
    }

    int endpointsAnswering() {
      int n = 0;
      for (long c : byEndpoint) {
        n += c > 0 ? 1 : 0;
      }
      return n;
    }
  }

  private final int connections;
  private final int inFlightPerConnection;

  GrpcLoad(int connections, int inFlightPerConnection) {
    this.connections = connections;
    this.inFlightPerConnection = inFlightPerConnection;
  }

  Result run(InetSocketAddress target, int seconds, int endpoints) throws InterruptedException {
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      channels.add(NettyChannelBuilder.forAddress(target).usePlaintext().directExecutor().build());
    }
    AtomicLongArray histogram = new AtomicLongArray(BUCKETS + 1);
    LongAdder calls = new LongAdder();
    LongAdder errors = new LongAdder();
    LongAdder[] byEndpoint = new LongAdder[endpoints];
    for (int i = 0; i < endpoints; i++) {
      byEndpoint[i] = new LongAdder();
    }
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
    CountDownLatch loops = new CountDownLatch(connections * inFlightPerConnection);
    try {
      for (ManagedChannel ch : channels) {
        for (int i = 0; i < inFlightPerConnection; i++) {
          new Loop(ch, deadline, histogram, calls, errors, byEndpoint, loops).next();
        }
      }
      if (!loops.await(seconds + 10L, TimeUnit.SECONDS)) {
        errors.add(loops.getCount()); // calls still hanging after the deadline: counted as errors
      }
    } finally {
      for (ManagedChannel ch : channels) {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] counts = new long[endpoints];
    for (int i = 0; i < endpoints; i++) {
      counts[i] = byEndpoint[i].sum();
    }
    return new Result(
        calls.sum() / Math.min(elapsed, seconds),
        percentile(histogram, 0.50),
        percentile(histogram, 0.99),
        errors.sum(),
        counts);
  }

  private static double percentile(AtomicLongArray h, double q) {
    long total = 0;
    for (int i = 0; i < h.length(); i++) {
      total += h.get(i);
    }
    long rank = (long) Math.ceil(total * q);
    long seen = 0;
    for (int i = 0; i < h.length(); i++) {
      seen += h.get(i);
      if (seen >= rank && total > 0) {
        return (i + 0.5) * BUCKET_MICROS;
      }
    }
    return Double.NaN;
  }

  /** One slot of the calls in flight: a call, its answer, the next call. */
  private static final class Loop extends ClientCall.Listener<byte[]> {
    private final ManagedChannel channel;
    private final long deadline;
    private final AtomicLongArray histogram;
    private final LongAdder calls;
    private final LongAdder errors;
    private final LongAdder[] byEndpoint;
    private final CountDownLatch done;
    private long started;
    private byte[] answer;

    Loop(
        ManagedChannel channel,
        long deadline,
        AtomicLongArray histogram,
        LongAdder calls,
        LongAdder errors,
        LongAdder[] byEndpoint,
        CountDownLatch done) {
      this.channel = channel;
      this.deadline = deadline;
      this.histogram = histogram;
      this.calls = calls;
      this.errors = errors;
      this.byEndpoint = byEndpoint;
      this.done = done;
    }

    void next() {
      started = System.nanoTime();
      if (started - deadline >= 0) {
        done.countDown();
        return;
      }
      answer = null;
      // Each call starts inside the last one's callback: from the root context, else every call's
      // context would descend from the one before (gRPC warns past 1,000 generations).
      Context previous = Context.ROOT.attach();
      try {
        ClientCall<byte[], byte[]> call =
            channel.newCall(
                GrpcBackend.WHO, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
        call.start(this, new Metadata());
        call.request(1);
        call.sendMessage(new byte[0]);
        call.halfClose();
      } finally {
        Context.ROOT.detach(previous);
      }
    }

    @Override
    public void onMessage(byte[] message) {
      answer = message;
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      if (status.isOk() && answer != null) {
        long micros = (System.nanoTime() - started) / 1000;
        histogram.incrementAndGet((int) Math.min(BUCKETS, micros / BUCKET_MICROS));
        calls.increment();
        int i = answer.length == 0 ? -1 : answer[answer.length - 1] - '1'; // "b1" → 0
        if (i >= 0 && i < byEndpoint.length) {
          byEndpoint[i].increment();
        }
      } else {
        errors.increment();
      }
      next();
    }
  }
}
