package dev.switchboard.bench.nodeport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The backend and the anchors every Switchboard row is divided by: nginx (the pod, and "direct"),
 * HAProxy in tcp mode with one thread (a NodePort's anchor), two such HAProxies in series (the
 * EXTERNAL-IP path's two hops: cloud-lb, then a node agent) and HAProxy {@code mode http} with
 * {@code http-reuse always} (an HTTP-mode port's anchor: it keeps its backend connections).
 */
final class ReferenceServers implements AutoCloseable {
  private final Path dir;
  private final List<Process> processes = new ArrayList<>();

  ReferenceServers(Path dir) {
    this.dir = dir;
  }

  /** nginx, one worker, serving /small (3 bytes), /64k and /1m on {@code ip:port}. */
  Process nginx(String ip, int port) throws IOException {
    Path root = Files.createDirectories(dir.resolve("www"));
    byte[] body = new byte[64 * 1024];
    Arrays.fill(body, (byte) 'x');
    Files.write(root.resolve("64k"), body);
    byte[] big = new byte[1024 * 1024];
    Arrays.fill(big, (byte) 'x');
    Files.write(root.resolve("1m"), big);
    Files.writeString(root.resolve("small"), "ok\n");
    // nginx's workers drop root for www-data: let them read the temp dir.
    for (Path p : List.of(dir, root)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "worker_processes 1;",
            "daemon off;",
            "pid " + dir.resolve("nginx.pid") + ";",
            "error_log " + dir.resolve("nginx-error.log") + " warn;",
            "events { worker_connections 4096; }",
            "http {",
            "  access_log off;",
            "  keepalive_requests 1000000;",
            "  client_body_temp_path " + dir + "/body; proxy_temp_path " + dir + "/proxy;",
            "  fastcgi_temp_path "
                + dir
                + "/fcgi; uwsgi_temp_path "
                + dir
                + "/uwsgi; scgi_temp_path "
                + dir
                + "/scgi;",
            "  server { listen " + ip + ":" + port + "; root " + root + "; }",
            "}",
            ""),
        StandardCharsets.UTF_8);
    return start("nginx", List.of("nginx", "-c", conf.toString(), "-p", dir.toString()));
  }

  /** HAProxy, tcp mode, one thread: {@code bind} → {@code server}. */
  Process haproxyTcp(String name, String bind, String server) throws IOException {
    return haproxy(name, "tcp", bind, server, List.of());
  }

  /**
   * HAProxy {@code mode http}, one thread, keeping and sharing its backend connections ({@code
   * http-reuse always}), as an HTTP-aware proxy in front of a pod would be configured.
   */
  Process haproxyHttp(String name, String bind, String server) throws IOException {
    return haproxy(name, "http", bind, server, List.of("  http-reuse always"));
  }

  private Process haproxy(String name, String mode, String bind, String server, List<String> extra)
      throws IOException {
    Path conf = dir.resolve(name + ".cfg");
    List<String> lines =
        new ArrayList<>(
            List.of(
                "global",
                "  nbthread 1",
                "  maxconn 8000",
                "defaults",
                "  mode " + mode,
                "  timeout connect 5s",
                "  timeout client 30s",
                "  timeout server 30s"));
    lines.addAll(extra);
    lines.addAll(List.of("listen " + name, "  bind " + bind, "  server backend " + server, ""));
    Files.writeString(conf, String.join("\n", lines), StandardCharsets.UTF_8);
    return start(name, List.of("haproxy", "-f", conf.toString(), "-db"));
  }

  private Process start(String name, List<String> command) throws IOException {
    Path log = dir.resolve(name + ".log");
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    processes.add(p);
    System.err.println("bench: started " + name + " (pid " + p.pid() + ", log " + log + ")");
    return p;
  }

  @Override
  public void close() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      p.destroy();
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }
}
