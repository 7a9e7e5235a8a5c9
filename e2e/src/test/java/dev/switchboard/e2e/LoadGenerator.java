package dev.switchboard.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous HTTP load on one address: a few client threads, each request on a new TCP connection
 * (so every request is a new pick through the load balancer and the agent), each with connect and
 * read timeouts. Bounded twice: it stops when told, or after {@code maxRequests} or {@code
 * maxMillis}, whichever comes first. A request fails unless a complete {@code 200} response from a
 * pod arrives.
 */
final class LoadGenerator implements AutoCloseable {
  private final String host;
  private final int port;
  private final long maxRequests;
  private final long deadlineNanos;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private final List<Long> failureTimes = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicLong> perPod = new ConcurrentHashMap<>();
  private final ExecutorService threads;
  private final long startNanos = System.nanoTime();

  LoadGenerator(String host, int port, int threads, long maxRequests, long maxMillis) {
    this.host = host;
    this.port = port;
    this.maxRequests = maxRequests;
    this.deadlineNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(maxMillis);
    this.threads = Executors.newFixedThreadPool(threads);
    for (int i = 0; i < threads; i++) {
      this.threads.execute(this::loop);
    }
  }

  private void loop() {
    while (!stop.get()
        && System.nanoTime() - deadlineNanos < 0
        && sent.incrementAndGet() <= maxRequests) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), 2000);
        s.setSoTimeout(3000);
        s.getOutputStream()
            .write(
                ("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        int pod = response.indexOf("pod=");
        if (response.startsWith("HTTP/1.1 200") && pod > 0 && response.endsWith("\n")) {
          ok.incrementAndGet();
          perPod
              .computeIfAbsent(response.substring(pod + 4).strip(), k -> new AtomicLong())
              .incrementAndGet();
        } else {
          fail("bad response: " + response.lines().findFirst().orElse("(empty)"));
        }
      } catch (IOException e) {
        fail(e.toString());
      }
    }
  }

  private void fail(String why) {
    if (failed.incrementAndGet() <= 50) {
      failureTimes.add(System.nanoTime());
      failures.add(
          String.format(
              "+%d ms: %s", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), why));
    }
  }

  long ok() {
    return ok.get();
  }

  long failed() {
    return failed.get();
  }

  /** The first 50 failed requests, each with when (ms since start) and why. */
  List<String> failures() {
    return failures;
  }

  /** When (System.nanoTime) each of the first 50 failed requests failed. */
  List<Long> failureTimes() {
    return failureTimes;
  }

  /** Successful responses per pod name. */
  Map<String, Long> perPod() {
    Map<String, Long> out = new java.util.TreeMap<>();
    perPod.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Stops the clients and waits for the requests in flight. */
  @Override
  public void close() {
    stop.set(true);
    threads.shutdown();
    try {
      threads.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
