package dev.switchboard.agent.proxier;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode: makes the whole service CIDR local to this host once, with {@code ip route add
 * local <cidr> dev lo}, so that every ClusterIP can be bound like a local address without
 * configuring each one. Needs root or CAP_NET_ADMIN; without it, says so, and the ClusterIP
 * listeners then fail to bind and are reported.
 *
 * <p>Local mode needs none of this: 127.0.0.0/8 is local already.
 */
public final class ClusterIpRoutes {
  private static final Logger log = LoggerFactory.getLogger(ClusterIpRoutes.class);

  /** Runs a command; returns its exit code and combined output. A seam for tests. */
  @FunctionalInterface
  public interface CommandRunner {
    Result run(List<String> command) throws IOException, InterruptedException;

    record Result(int exitCode, String output) {}
  }

  private final CommandRunner runner;

  public ClusterIpRoutes(CommandRunner runner) {
    this.runner = runner;
  }

  /** Runs commands as child processes, each bounded to 10 s. */
  public static ClusterIpRoutes system() {
    return new ClusterIpRoutes(
        command -> {
          Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
          if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new CommandRunner.Result(-1, "timed out after 10 s");
          }
          String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
          return new CommandRunner.Result(p.exitValue(), out);
        });
  }

  /**
   * Adds the local route for {@code cidr}.
   *
   * @return "" when the route is in place (added now or before), else why not, in one line
   */
  public String ensureLocal(String cidr) {
    List<String> command = List.of("ip", "route", "add", "local", cidr, "dev", "lo");
    String shown = String.join(" ", command);
    CommandRunner.Result result;
    try {
      result = runner.run(command);
    } catch (IOException e) {
      return "cannot make service CIDR "
          + cidr
          + " local: `"
          + shown
          + "` could not run ("
          + e.getMessage()
          + "); is iproute2 installed?";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "cannot make service CIDR " + cidr + " local: interrupted";
    }
    if (result.exitCode() == 0 || result.output().contains("File exists")) {
      log.info("service CIDR {} is local (`{}`)", cidr, shown);
      return "";
    }
    String why = result.output().isEmpty() ? "exit code " + result.exitCode() : result.output();
    String hint =
        why.contains("Operation not permitted")
            ? " — needs root or CAP_NET_ADMIN (or use --cluster-ip-mode local with a 127.0.0.0/8 CIDR)"
            : "";
    return "cannot make service CIDR " + cidr + " local: `" + shown + "` failed: " + why + hint;
  }
}
