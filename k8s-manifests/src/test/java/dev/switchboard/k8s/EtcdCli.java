package dev.switchboard.k8s;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * etcd's command line, from the real etcd binary ({@code etcd --help}, the one the tests run):
 * every flag of the manifest must be one etcd lists, and the listen URLs give the ports.
 */
final class EtcdCli {
  private static final Pattern FLAG = Pattern.compile("(?m)^\\s+(--[a-z0-9-]+)");
  private static final Map<String, ComponentCli.PortKind> LISTEN_FLAGS =
      Map.of(
          "--listen-client-urls", ComponentCli.PortKind.TCP,
          "--listen-peer-urls", ComponentCli.PortKind.TCP,
          "--listen-metrics-urls", ComponentCli.PortKind.HTTP);
  private static Set<String> flags;

  private EtcdCli() {}

  static boolean isEtcd(String image) {
    return image.matches("(.*/)?etcd(:.*)?");
  }

  /** Checks {@code command} (binary, then flags); returns the listened ports. */
  static Map<Integer, ComponentCli.PortKind> check(List<String> command) throws Exception {
    if (command.isEmpty() || !command.get(0).endsWith("/etcd")) {
      throw new IllegalArgumentException(
          "command: " + command + " (expected: the etcd binary, then its flags)");
    }
    Set<String> known = flags();
    Map<Integer, ComponentCli.PortKind> ports = new LinkedHashMap<>();
    for (String arg : command.subList(1, command.size())) {
      int eq = arg.indexOf('=');
      String flag = eq < 0 ? arg : arg.substring(0, eq);
      if (!known.contains(flag)) {
        throw new IllegalArgumentException(flag + ": not a flag of etcd (etcd --help)");
      }
      ComponentCli.PortKind kind = LISTEN_FLAGS.get(flag);
      if (kind != null) {
        for (String url : arg.substring(eq + 1).split(",")) {
          int port = URI.create(url).getPort();
          if (port <= 0) {
            throw new IllegalArgumentException(
                flag + ": " + url + " (expected: a URL with a port)");
          }
          ports.put(port, kind);
        }
      }
    }
    return ports;
  }

  private static synchronized Set<String> flags() throws Exception {
    if (flags == null) {
      Processes.Result r =
          Processes.run(
              List.of("etcd", "--help"),
              Path.of("."),
              Duration.ofSeconds(20),
              "install etcd (bin/ensure-etcd.sh does: apt-get install etcd-server)");
      Set<String> found = new TreeSet<>();
      Matcher m = FLAG.matcher(r.stdout() + r.stderr());
      while (m.find()) {
        found.add(m.group(1));
      }
      if (found.size() < 20) {
        throw new IllegalStateException("etcd --help listed only " + found);
      }
      flags = found;
    }
    return flags;
  }
}
