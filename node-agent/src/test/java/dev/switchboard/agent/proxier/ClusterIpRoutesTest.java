package dev.switchboard.agent.proxier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.agent.proxier.ClusterIpRoutes.CommandRunner.Result;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Route mode cannot be exercised here (no root); its command and its reports can. */
class ClusterIpRoutesTest {

  @Test
  void addsTheLocalRouteOnceAndAcceptsOneThatExists() {
    List<List<String>> ran = new ArrayList<>();
    ClusterIpRoutes ok =
        new ClusterIpRoutes(
            c -> {
              ran.add(c);
              return new Result(0, "");
            });
    assertThat(ok.ensureLocal("10.96.0.0/12")).isEmpty();
    assertThat(ran)
        .containsExactly(List.of("ip", "route", "add", "local", "10.96.0.0/12", "dev", "lo"));
    ClusterIpRoutes exists =
        new ClusterIpRoutes(c -> new Result(2, "RTNETLINK answers: File exists"));
    assertThat(exists.ensureLocal("10.96.0.0/12")).isEmpty();
  }

  @Test
  void saysClearlyWhenItLacksPermission() {
    ClusterIpRoutes denied =
        new ClusterIpRoutes(c -> new Result(2, "RTNETLINK answers: Operation not permitted"));
    assertThat(denied.ensureLocal("10.96.0.0/12"))
        .isEqualTo(
            "cannot make service CIDR 10.96.0.0/12 local: `ip route add local 10.96.0.0/12 dev lo` failed: "
                + "RTNETLINK answers: Operation not permitted — needs root or CAP_NET_ADMIN "
                + "(or use --cluster-ip-mode local with a 127.0.0.0/8 CIDR)");
    ClusterIpRoutes missing =
        new ClusterIpRoutes(
            c -> {
              throw new IOException(
                  "Cannot run program \"ip\": error=2, No such file or directory");
            });
    assertThat(missing.ensureLocal("10.96.0.0/12")).endsWith("is iproute2 installed?");
  }
}
