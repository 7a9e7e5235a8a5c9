package dev.switchboard.bench.scale;

import dev.switchboard.testing.EtcdProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real node-agent process (node-0 on 127.0.1.1, local ClusterIP mode, the JVM flags bin/run-local
 * gives it) against the loaded control plane: how long until it has programmed everything, how many
 * listeners that is, and its RSS from /proc.
 */
final class NodeAgentProbe {
  /** The figures. */
  record Result(
      String jvmFlags,
      double programSeconds,
      int listeners,
      double rssMiB,
      double settledRssMiB,
      double liveHeapMiB,
      String nativeMemory,
      String histogram) {}

  private static final Pattern STATUS = Pattern.compile("version (\\d+), listeners (\\d+)");

  /** How long the agent idles after programming before its RSS is read again. */
  static final Duration SETTLE = Duration.ofSeconds(20);

  private NodeAgentProbe() {}

  static Result measure(String controlPlane, long version, Path dir, List<String> jvmFlags)
      throws InterruptedException {
    int adminPort = EtcdProcess.freePort();
    String statusz = "http://127.0.1.1:" + adminPort + "/statusz";
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long begin = System.nanoTime();
    List<String> flags = new java.util.ArrayList<>(jvmFlags);
    if (jvmFlags.stream().noneMatch(f -> f.startsWith("-XX:NativeMemoryTracking"))) {
      // Says where RSS goes, at a cost of a few MiB of its own (users do not run it): pass
      // -XX:NativeMemoryTracking=off in a set to measure the RSS without it.
      flags.add("-XX:NativeMemoryTracking=summary");
    }
    try (JvmProcess agent =
        JvmProcess.start(
            "node-agent",
            dir.resolve("node-agent-" + Integer.toHexString(jvmFlags.hashCode()) + ".log"),
            flags,
            "dev.switchboard.agent.Main",
            List.of(
                "--node-name",
                "node-0",
                "--node-address",
                "127.0.1.1",
                "--control-plane",
                controlPlane,
                "--cluster-ip-mode",
                "local",
                "--service-cidr",
                "127.96.0.0/16",
                "--admin-port",
                Integer.toString(adminPort),
                "--insecure"))) {
      int[] listeners = new int[1];
      agent.await(
          "programmed",
          () -> {
            Matcher m = STATUS.matcher(get(http, statusz));
            if (m.find() && Long.parseLong(m.group(1)) >= version) {
              listeners[0] = Integer.parseInt(m.group(2));
              return true;
            }
            return false;
          },
          600_000);
      double seconds = (System.nanoTime() - begin) / 1e9;
      double rss = agent.rssMiB();
      // Again once the start-up's compilations are over and the JVM had time to give back what
      // they took (C2's arenas; -XX:TrimNativeHeapInterval): what the agent holds while serving.
      Thread.sleep(SETTLE.toMillis());
      double settled = agent.rssMiB();
      String nmt = committedSummary(agent.jcmd("VM.native_memory", "summary", "scale=MB"));
      double heap = agent.liveHeapMiB();
      // -Dbench.histogramLines=N on the benchmark's JVM shows more of it (JAVA_TOOL_OPTIONS).
      String histogram =
          agent
              .jcmd("GC.class_histogram")
              .lines()
              .limit(Long.getLong("bench.histogramLines", 18))
              .collect(java.util.stream.Collectors.joining("\n"));
      return new Result(
          String.join(" ", jvmFlags), seconds, listeners[0], rss, settled, heap, nmt, histogram);
    }
  }

  /** "Total" and each category's committed MB, one per line. */
  private static String committedSummary(String nmt) {
    StringBuilder out = new StringBuilder();
    Matcher m =
        Pattern.compile(
                "(?m)^-?\\s*(Total|[A-Z][A-Za-z ]+?)(?:: | \\()reserved=\\d+MB, committed=(\\d+)MB")
            .matcher(nmt);
    while (m.find()) {
      out.append(String.format("%-22s %5s MB%n", m.group(1).strip(), m.group(2)));
    }
    return out.toString();
  }

  private static String get(HttpClient http, String url) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
