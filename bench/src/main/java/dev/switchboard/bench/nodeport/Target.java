package dev.switchboard.bench.nodeport;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** One row: what it is, where wrk sends, which row it is divided by, and whose CPU it costs. */
record Target(
    String id,
    String description,
    String base,
    String anchor,
    Supplier<List<ProcessHandle>> servers) {
  /**
   * Fails when a process that is not one of the target's servers also listens on its address:
   * another {@code bin/run-local} on this machine binds the same 127.0.1.x node and 127.0.2.x
   * load-balancer addresses, and cloud-lb's listeners use SO_REUSEPORT, so its processes would
   * silently take a share of the connections.
   */
  static void refuseSharedAddress(Target t) throws IOException, InterruptedException {
    java.net.URI uri = java.net.URI.create(t.base());
    String local = uri.getHost() + ":" + (uri.getPort() < 0 ? 80 : uri.getPort());
    Process ss =
        new ProcessBuilder("ss", "-Hltnp", "sport = :" + (uri.getPort() < 0 ? 80 : uri.getPort()))
            .redirectErrorStream(true)
            .start();
    String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!ss.waitFor(10, TimeUnit.SECONDS)) {
      ss.destroyForcibly();
      return;
    }
    java.util.Set<Long> ours = new java.util.HashSet<>();
    for (ProcessHandle h : t.servers().get()) {
      ours.add(h.pid());
      h.descendants().forEach(d -> ours.add(d.pid()));
    }
    java.util.regex.Matcher pid = java.util.regex.Pattern.compile("pid=(\\d+)").matcher("");
    for (String line : out.split("\n")) {
      if (!line.contains(" " + local + " ")) {
        continue;
      }
      pid.reset(line);
      while (pid.find()) {
        long p = Long.parseLong(pid.group(1));
        if (!ours.contains(p)) {
          throw new IOException(
              t.id()
                  + ": another process (pid "
                  + p
                  + ", "
                  + ShippedCluster.commandLine(ProcessHandle.of(p).orElse(ProcessHandle.current()))
                      .lines()
                      .findFirst()
                      .orElse("?")
                      .replaceAll("(.{120}).*", "$1...")
                  + ") also listens on "
                  + local
                  + ": stop other Switchboard clusters on this machine first");
        }
      }
    }
  }

  /** Waits (bounded) until {@code url} answers 200. */
  static void awaitHttp(String url, Duration timeout) throws Exception {
    java.net.URI uri = java.net.URI.create(url);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(
            new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort()), 1000);
        s.setSoTimeout(2000);
        s.getOutputStream()
            .write(
                ("GET " + uri.getPath() + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
        if (head.startsWith("HTTP/1.1 200")) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100); // polling processes we started; bounded by the deadline
    }
    throw new IOException(url + " did not answer 200 within " + timeout.toSeconds() + " s");
  }
}
