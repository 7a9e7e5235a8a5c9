package dev.switchboard.agent.nft;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Deletes the conntrack entries of UDP flows DNATed to an endpoint that went away. A UDP
 * "connection" lives in conntrack as long as datagrams keep coming, and its translation was fixed
 * by its first packet, so without this a client that keeps sending would keep reaching the removed
 * endpoint (kube-proxy's classic UDP bug). TCP needs nothing: a removed endpoint resets or times
 * out its connections, and new ones take the new rules. A seam, for tests.
 */
@FunctionalInterface
public interface Conntrack {

  /**
   * Deletes UDP flows whose original destination port is {@code port} (and address {@code
   * serviceIp}, a ClusterIP or LoadBalancer IP, when given; a NodePort matches any local address)
   * and that were DNATed to {@code endpointIp}.
   *
   * @return "" when done (also when there was nothing to delete); otherwise why not
   */
  String deleteUdpFlows(Optional<String> serviceIp, int port, String endpointIp);

  /**
   * The {@code conntrack} tool (Debian package conntrack); each call bounded by {@code timeout}.
   */
  static Conntrack system(Duration timeout) {
    return (serviceIp, port, endpointIp) -> {
      List<String> command = new ArrayList<>(List.of("conntrack", "-D", "-p", "udp"));
      serviceIp.ifPresent(ip -> command.addAll(List.of("--orig-dst", ip)));
      command.addAll(List.of("--orig-port-dst", Integer.toString(port), "--dst-nat", endpointIp));
      Nft.Result result = Nft.run(command, "", timeout);
      // Exit code 1 with "0 flow entries have been deleted" is not an error.
      if (result.exitCode() == 0 || result.output().contains("flow entries have been deleted")) {
        return "";
      }
      String why =
          result.output().isBlank() ? "exit code " + result.exitCode() : result.output().trim();
      return "`" + String.join(" ", command) + "` failed: " + why;
    };
  }
}
