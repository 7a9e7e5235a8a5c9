package dev.switchboard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher as a user runs it: a separate process that starts every component, prints a summary,
 * serves the demo through the load balancer, and on SIGTERM leaves nothing behind.
 */
class LocalClusterEndToEndTest {
  private static final Pattern EXTERNAL_IP = Pattern.compile("curl http://(127\\.0\\.2\\.\\d+)/");
  private static final Pattern POD = Pattern.compile("pod=(demo-\\d) node=(node-\\d)");
  private static final Pattern DIG =
      Pattern.compile("(dig @127\\.0\\.1\\.1 -p \\d+ \\+short \\S+)");
  private static final Pattern CLUSTER_IP =
      Pattern.compile("curl http://(127\\.96\\.\\d+\\.\\d+)/");

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void startsAClusterServesTheDemoThroughTheLoadBalancerAndStopsEverything(@TempDir Path state)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    int cpPort = freePort();
    int cpMetricsPort = freePort();
    Process launcher =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "dev.switchboard.launcher.Main",
                "--state-dir",
                state.toString(),
                "--control-plane-port",
                Integer.toString(cpPort),
                "--etcd-port",
                Integer.toString(freePort()),
                "--agent-admin-port",
                Integer.toString(freePort()),
                "--agent-dns-port",
                Integer.toString(freePort()),
                "--control-plane-metrics-port",
                Integer.toString(cpMetricsPort),
                "--lb-metrics-port",
                Integer.toString(freePort()))
            .redirectErrorStream(true)
            .start();
    LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    CompletableFuture.runAsync(() -> readLines(launcher.getInputStream(), lines));
    List<ProcessHandle> children = new ArrayList<>();
    try {
      StringBuilder output = new StringBuilder();
      String externalIp = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
      boolean ready = false;
      while (System.nanoTime() < deadline && (externalIp == null || !ready)) {
        String line = lines.poll(1, TimeUnit.SECONDS);
        if (line == null) {
          assertThat(launcher.isAlive()).as("launcher died:%n%s", output).isTrue();
          continue;
        }
        output.append(line).append('\n');
        ready |= line.contains(Summaries.READY_LINE);
        Matcher m = EXTERNAL_IP.matcher(line);
        if (m.find()) {
          externalIp = m.group(1);
        }
      }
      assertThat(ready).as("summary never printed:%n%s", output).isTrue();
      assertThat(externalIp).as("no EXTERNAL-IP in:%n%s", output).isNotNull();
      assertThat(output.toString())
          .contains(
              "starting etcd",
              "starting control plane",
              "starting node-1",
              "starting node-3",
              "starting cloud-lb",
              "starting demo app");
      // etcd, cp, 3 agents, lb, demo. Bounded wait: /proc is walked, not the launcher asked, and
      // one full run under load saw 6; the message names what was there.
      List<ProcessHandle> seen = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(
              () -> {
                seen.clear();
                seen.addAll(launcher.descendants().toList());
                assertThat(seen)
                    .as(
                        "the launcher's processes: %s",
                        seen.stream()
                            .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
                            .toList())
                    .hasSizeGreaterThanOrEqualTo(7);
              });
      children.addAll(seen);

      // 30 requests through the load balancer: every pod answers (each pod misses all 30 with
      // probability (2/3)^30 < 1e-5: the agent picks uniformly among the 3 ready pods).
      Map<String, Integer> perPod = new HashMap<>();
      for (int i = 0; i < 30; i++) {
        Matcher m = POD.matcher(get(externalIp, 80));
        assertThat(m.find()).isTrue();
        perPod.merge(m.group(1), 1, Integer::sum);
      }
      assertThat(perPod).containsOnlyKeys("demo-1", "demo-2", "demo-3");
      // The summary's dig line, run as printed: node-1's cluster DNS names the demo's ClusterIP.
      Matcher dig = DIG.matcher(output);
      while (!dig.find() && System.nanoTime() < deadline) {
        String line = lines.poll(1, TimeUnit.SECONDS);
        output.append(line == null ? "" : line + "\n");
        dig = DIG.matcher(output);
      }
      Matcher clusterIp = CLUSTER_IP.matcher(output);
      assertThat(dig.find(0) && clusterIp.find())
          .as("no dig or ClusterIP line in:%n%s", output)
          .isTrue();
      Process digging =
          new ProcessBuilder(dig.group(1).split(" ")).redirectErrorStream(true).start();
      assertThat(digging.waitFor(15, TimeUnit.SECONDS)).isTrue();
      assertThat(
              new String(digging.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip())
          .isEqualTo(clusterIp.group(1));
      // Secure by default: the summary says so, and the pki and sbctl.env exist.
      assertThat(output.toString())
          .contains("TLS on: CA " + state.resolve("pki").resolve("ca.crt"));
      assertThat(state.resolve("pki").resolve("ca.crt")).exists();
      assertThat(Files.readString(state.resolve("sbctl.env")))
          .contains(
              "SWITCHBOARD_TOKEN=",
              "SWITCHBOARD_CA=" + state.resolve("pki").resolve("ca.crt"),
              "SWITCHBOARD_SERVER=127.0.0.1:" + cpPort);
      String ca = state.resolve("pki").resolve("ca.crt").toString();
      String editor = Files.readString(state.resolve("pki").resolve("admin.token")).strip();
      String viewer = Files.readString(state.resolve("pki").resolve("viewer.token")).strip();
      String server = "127.0.0.1:" + cpPort;
      // Without a token, or as a viewer writing, sbctl is refused with one line.
      assertThat(
              runFailing(
                  java,
                  "dev.switchboard.sbctl.Main",
                  "get",
                  "svc",
                  "--server",
                  server,
                  "--certificate-authority",
                  ca))
          .contains("Error from server (Unauthorized)");
      assertThat(
              runFailing(
                  java,
                  "dev.switchboard.sbctl.Main",
                  "delete",
                  "svc",
                  "demo",
                  "--server",
                  server,
                  "--certificate-authority",
                  ca,
                  "--token",
                  viewer))
          .contains("Error from server (Forbidden)");
      // sbctl against it, as the summary suggests (bin/sbctl takes these from sbctl.env).
      String svc =
          run(
              java,
              "dev.switchboard.sbctl.Main",
              "get",
              "svc",
              "--server",
              server,
              "--certificate-authority",
              ca,
              "--token",
              viewer);
      assertThat(svc).contains("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)");
      assertThat(svc)
          .containsPattern(
              "demo\\s+LoadBalancer\\s+127\\.96\\.\\S+\\s+"
                  + externalIp.replace(".", "\\.")
                  + "\\s+80:3\\d{4}/TCP");
      String nodes =
          run(
              java,
              "dev.switchboard.sbctl.Main",
              "get",
              "nodes",
              "--server",
              server,
              "--certificate-authority",
              ca,
              "--token",
              editor);
      assertThat(nodes).containsPattern("node-1\\s+Ready").containsPattern("node-3\\s+Ready");
      // The control plane's metrics, on the port the launcher gave it.
      assertThat(httpGet("http://127.0.0.1:" + cpMetricsPort + "/metrics"))
          .contains("# TYPE switchboard_discovery_subscribers gauge");
      assertThat(Files.list(state.resolve("logs")).map(p -> p.getFileName().toString()).toList())
          .contains("etcd.log", "control-plane.log", "node-1.log", "cloud-lb.log", "demo-app.log");
    } finally {
      launcher.destroy(); // SIGTERM, as Ctrl-C's cousin
      boolean exited = launcher.waitFor(60, TimeUnit.SECONDS);
      if (!exited) {
        launcher.destroyForcibly();
      }
      children.forEach(
          child -> {
            try {
              child.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
              child.destroyForcibly();
            }
          });
      assertThat(exited).isTrue();
    }
    assertThat(processesMentioning(state)).isEmpty();
    assertThat(children)
        .allSatisfy(
            child ->
                assertThat(child.isAlive())
                    .as(
                        "%s is still running",
                        child.info().commandLine().orElse("pid " + child.pid()))
                    .isFalse());
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aTakenPortIsNamedAndNothingIsLeftRunning(@TempDir Path state) throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process launcher =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  "dev.switchboard.launcher.Main",
                  "--state-dir",
                  state.toString(),
                  "--no-demo",
                  "--control-plane-port",
                  Integer.toString(taken.getLocalPort()),
                  "--etcd-port",
                  Integer.toString(freePort()))
              .redirectErrorStream(true)
              .start();
      String output;
      try (InputStream in = launcher.getInputStream()) {
        output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      assertThat(launcher.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(launcher.exitValue()).isEqualTo(1);
      assertThat(output)
          .contains("control plane: 127.0.0.1:" + taken.getLocalPort() + " is already in use")
          .contains("--control-plane-port");
      // etcd had started before the port check failed: it must be gone too.
      assertThat(processesMentioning(state)).isEmpty();
    }
  }

  /** Live processes whose command line names {@code dir} (the launcher passes it to etcd). */
  private static List<String> processesMentioning(Path dir) {
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .map(p -> p.info().commandLine().orElse(""))
        .filter(cmd -> cmd.contains(dir.toString()) && !cmd.contains("surefire"))
        .toList();
  }

  /** Runs a main that must fail (exit 1); returns what it printed. */
  private static String runFailing(String java, String mainClass, String... args) throws Exception {
    return exec(1, java, mainClass, args);
  }

  private static String run(String java, String mainClass, String... args) throws Exception {
    return exec(0, java, mainClass, args);
  }

  private static String exec(int exit, String java, String mainClass, String... args)
      throws Exception {
    List<String> command =
        new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isEqualTo(exit);
    return out;
  }

  private static String get(String host, int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2000);
      s.setSoTimeout(5000);
      s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void readLines(InputStream in, LinkedBlockingQueue<String> lines) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        lines.add(line);
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  private static String httpGet(String url) throws Exception {
    java.net.http.HttpResponse<String> r =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                    .timeout(java.time.Duration.ofSeconds(5))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s", url).isEqualTo(200);
    return r.body();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
