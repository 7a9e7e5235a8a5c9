package dev.switchboard.forwarder.h2;

import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Forwarder;
import dev.switchboard.forwarder.ForwarderOptions;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerOptions;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.testing.GrpcBackend;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: an in-process profile of the HTTP/2 mode's cost per unary call, for JFR (one
 * forwarder thread, three endpoints, a closed-loop grpc-java client). Prints calls/s and the
 * forwarder thread's CPU per call, which depends less on the machine's other load than calls/s.
 * Loopback only; bounded by its arguments.
 *
 * <p>Usage: {@code java -cp <forwarder test classpath> dev.switchboard.forwarder.h2.H2LoadProfile
 * [rounds 3] [seconds 5] [connections 4] [inFlight 64]}
 */
public final class H2LoadProfile {
  private H2LoadProfile() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int connections = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int inFlight = args.length > 3 ? Integer.parseInt(args[3]) : 64;
    List<GrpcBackend> backends = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      backends.add(GrpcBackend.start("127.0.10.9" + i, "b" + i));
    }
    Forwarder forwarder = Forwarder.create(ForwarderOptions.defaults().withIoThreads(1));
    try {
      List<Endpoint> eps = new ArrayList<>();
      backends.forEach(b -> eps.add(Endpoint.ready(b.address())));
      Listener listener =
          forwarder
              .addListener(
                  new ListenerSpec(
                          "profile/grpc",
                          Protocol.TCP,
                          new InetSocketAddress("127.0.1.99", 0),
                          ListenerOptions.DEFAULTS)
                      .withH2(H2Options.of(H2CallObserver.NOOP)),
                  ServiceTarget.of(eps.toArray(Endpoint[]::new)))
              .get(5, TimeUnit.SECONDS);
      InetSocketAddress to = listener.localAddress();
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      // Warm-up by calls, not time: the JIT's progress depends on them, and on a loaded machine
      // a timed warm-up leaves one variant less compiled than another.
      long warm = 0;
      for (int i = 0; i < 12 && warm < 200_000; i++) {
        warm += run(to, 5, connections, inFlight);
      }
      System.out.printf("warm-up %d calls%n", warm);
      for (int r = 1; r <= rounds; r++) {
        long cpu0 = forwarderCpu(threads);
        java.util.Arrays.fill(LATENCY, 0);
        long calls = run(to, seconds, connections, inFlight);
        long cpu = forwarderCpu(threads) - cpu0;
        System.out.printf(
            "%s %d calls/s, p50 %d µs, p99 %d µs, forwarder CPU %.1f µs/call%n",
            "round " + r,
            calls / seconds,
            percentile(0.50),
            percentile(0.99),
            cpu / 1000.0 / Math.max(1, calls));
      }
    } finally {
      forwarder.close();
      for (GrpcBackend b : backends) {
        b.close();
      }
    }
  }

  /** Calls by latency, in 100 µs buckets up to 1 s (only the callbacks' thread writes it). */
  private static final long[] LATENCY = new long[10_001];

  private static long percentile(double q) {
    long total = 0;
    for (long c : LATENCY) {
      total += c;
    }
    long seen = 0;
    for (int i = 0; i < LATENCY.length; i++) {
      seen += LATENCY[i];
      if (seen >= q * total) {
        return i * 100L;
      }
    }
    return LATENCY.length * 100L;
  }

  private static long forwarderCpu(ThreadMXBean threads) {
    long sum = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("switchboard-fwd")) {
        sum += threads.getThreadCpuTime(t.getId());
      }
    }
    return sum;
  }

  private static long run(InetSocketAddress to, int seconds, int connections, int inFlight)
      throws InterruptedException {
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      channels.add(NettyChannelBuilder.forAddress(to).usePlaintext().directExecutor().build());
    }
    AtomicLong calls = new AtomicLong();
    AtomicLong outstanding = new AtomicLong();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    for (ManagedChannel ch : channels) {
      for (int i = 0; i < inFlight; i++) {
        call(ch, deadline, calls, outstanding);
      }
    }
    long stop = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds + 10L);
    while (outstanding.get() > 0 && System.nanoTime() < stop) {
      Thread.sleep(10);
    }
    for (ManagedChannel ch : channels) {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    return calls.get();
  }

  private static void call(
      ManagedChannel ch, long deadline, AtomicLong calls, AtomicLong outstanding) {
    if (System.nanoTime() >= deadline) {
      return;
    }
    outstanding.incrementAndGet();
    long start = System.nanoTime();
    ClientCalls.asyncUnaryCall(
        ch.newCall(GrpcBackend.WHO, CallOptions.DEFAULT),
        new byte[0],
        new StreamObserver<byte[]>() {
          @Override
          public void onNext(byte[] value) {}

          @Override
          public void onError(Throwable t) {
            outstanding.decrementAndGet();
          }

          @Override
          public void onCompleted() {
            synchronized (LATENCY) {
              LATENCY[(int) Math.min(LATENCY.length - 1, (System.nanoTime() - start) / 100_000)]++;
            }
            calls.incrementAndGet();
            outstanding.decrementAndGet();
            call(ch, deadline, calls, outstanding);
          }
        });
  }
}
