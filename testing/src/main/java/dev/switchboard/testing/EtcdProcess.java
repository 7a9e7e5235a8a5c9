package dev.switchboard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real, single-member etcd started as a child process on free loopback ports with a temporary
 * data directory. Tests use it instead of any fake: what passes here passes against etcd.
 *
 * <p>The client and peer ports are kept across {@link #restart()} so that clients configured with
 * {@link #endpoint()} reconnect to the same address, as they would to a restarted member.
 */
public final class EtcdProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path dataDir;
  private final Path logFile;
  private final int clientPort;
  private final int peerPort;
  private final String binary;

  /** Null: plaintext; otherwise client TLS with client-certificate auth. */
  private final ClientTls tls;

  /** Serves /health over http when the client URL is https (null otherwise). */
  private final Integer metricsPort;

  private Process process;

  /**
   * Client TLS for {@link #startWithTls}: etcd serves {@code cert}/{@code key} and requires client
   * certificates signed by {@code trustedCa} ({@code --client-cert-auth}), as etcdctl's {@code
   * --cacert/--cert/--key} users expect.
   */
  public record ClientTls(Path trustedCa, Path cert, Path key) {}

  private EtcdProcess(Path dir, int clientPort, int peerPort, String binary, ClientTls tls) {
    this.dataDir = dir.resolve("data");
    this.logFile = dir.resolve("etcd.log");
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.binary = binary;
    this.tls = tls;
    this.metricsPort = tls == null ? null : freePort();
  }

  /** Starts etcd and returns once it answers {@code /health}. */
  public static EtcdProcess start() {
    return start(null);
  }

  /** Starts etcd serving its clients over TLS only, with client-certificate auth. */
  public static EtcdProcess startWithTls(ClientTls tls) {
    return start(java.util.Objects.requireNonNull(tls, "tls"));
  }

  private static EtcdProcess start(ClientTls tls) {
    try {
      Path dir = Files.createTempDirectory("switchboard-etcd-");
      EtcdProcess etcd = new EtcdProcess(dir, freePort(), freePort(), findBinary(), tls);
      etcd.startProcess();
      return etcd;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code http://127.0.0.1:PORT} ({@code https://} with TLS), the client URL. */
  public String endpoint() {
    return (tls == null ? "http" : "https") + "://127.0.0.1:" + clientPort;
  }

  private String healthUrl() {
    return (tls == null ? endpoint() : "http://127.0.0.1:" + metricsPort) + "/health";
  }

  public int clientPort() {
    return clientPort;
  }

  public Path logFile() {
    return logFile;
  }

  /** Stops etcd gracefully (SIGTERM) and waits for it to exit. Data is kept. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** Kills etcd with SIGKILL, as a crash would. Data is kept. */
  public synchronized void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /**
   * Starts etcd again on the same ports and data directory (after {@link #stop()}/{@link #kill()}).
   */
  public synchronized void restart() {
    stop();
    startProcess();
  }

  @Override
  public synchronized void close() {
    stop();
    deleteRecursively(dataDir.getParent());
  }

  private synchronized void startProcess() {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                binary,
                "--name",
                "test",
                "--data-dir",
                dataDir.toString(),
                "--listen-client-urls",
                endpoint(),
                "--advertise-client-urls",
                endpoint(),
                "--listen-peer-urls",
                "http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls",
                "http://127.0.0.1:" + peerPort,
                "--initial-cluster",
                "test=http://127.0.0.1:" + peerPort,
                // Snapshots and WAL fsyncs cost time tests do not need to spend.
                "--unsafe-no-fsync",
                "--log-level",
                "warn"));
    if (tls != null) {
      command.addAll(
          List.of(
              "--cert-file",
              tls.cert().toString(),
              "--key-file",
              tls.key().toString(),
              "--trusted-ca-file",
              tls.trustedCa().toString(),
              "--client-cert-auth",
              "--listen-metrics-urls",
              "http://127.0.0.1:" + metricsPort));
    }
    try {
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      builder.environment().remove("ETCDCTL_API");
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("etcd: could not start " + binary, e);
    }
    awaitHealthy();
  }

  private void awaitHealthy() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(healthUrl())).timeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "etcd exited at start (code " + process.exitValue() + "); log: " + tail());
      }
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200 && response.body().contains("\"true\"")) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for etcd", e);
      }
      try {
        Thread.sleep(50); // polling a child process' port: there is nothing to await on
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for etcd", e);
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException(
        "etcd not healthy within " + START_TIMEOUT + "; log: " + tail());
  }

  private String tail() {
    try {
      String log = Files.readString(logFile, StandardCharsets.UTF_8);
      return log.length() > 2000 ? log.substring(log.length() - 2000) : log;
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** A free TCP port on 127.0.0.1 (free when asked; the caller binds it soon after). */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String findBinary() {
    String override = System.getenv("ETCD_BINARY");
    if (override != null && !override.isBlank()) {
      return override;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/local/bin").split(":")) {
      Path candidate = Path.of(dir, "etcd");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new IllegalStateException(
        "etcd binary not found on PATH: install Debian's etcd-server"
            + " package (bin/test does this when run as root) or set ETCD_BINARY");
  }

  private static void deleteRecursively(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp dir left behind is harmless
    }
  }
}
