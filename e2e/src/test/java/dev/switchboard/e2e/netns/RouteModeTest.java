package dev.switchboard.e2e.netns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cluster (route) mode of the node agent, for real: {@code ip route add local} of a service CIDR
 * outside 127.0.0.0/8, and a ClusterIP in it that answers. Each case runs {@link RouteModeScenario}
 * in a network namespace this test creates with {@code unshare --net --map-root-user} (util-linux;
 * no root needed on the host): its own loopback and routing table, which vanish with the process.
 * The host's routes are untouched, and no packet leaves the namespace.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RouteModeTest {

  @Test
  void anAgentAllowedToRouteMakesTheServiceCidrLocalAndItsClusterIpsAnswer() throws Exception {
    String hostRoutes = hostLocalRoutes();
    String out = inNamespace("route", "");
    assertThat(out)
        .containsPattern(
            "RESULT route: 10\\.96\\.\\d+\\.\\d+:80 answered pod=web-1; local "
                + "10\\.96\\.0\\.0/16 dev lo");
    assertThat(hostLocalRoutes()).as("the host's routing table").isEqualTo(hostRoutes);
  }

  @Test
  void anAgentWithoutNetAdminSaysWhatItNeeds() throws Exception {
    // Root in the namespace, but without CAP_NET_ADMIN in its bounding set: as a pod without it.
    String out = inNamespace("noperm", "setpriv --bounding-set=-net_admin --inh-caps=-all ");
    assertThat(out)
        .contains("RESULT noperm: ")
        .contains(
            "cannot make service CIDR 10.96.0.0/16 local: `ip route add local 10.96.0.0/16 dev lo`"
                + " failed: RTNETLINK answers: Operation not permitted — needs root or CAP_NET_ADMIN");
  }

  private static String inNamespace(String mode, String wrapper)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String script =
        "ip link set lo up && exec "
            + wrapper
            + "\"$0\" -Xmx256m -cp \"$1\" "
            + RouteModeScenario.class.getName()
            + " "
            + mode;
    List<String> command =
        new ArrayList<>(
            List.of(
                "unshare",
                "--net",
                "--map-root-user",
                "--",
                "sh",
                "-c",
                script,
                java,
                System.getProperty("java.class.path")));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[][] output = new byte[1][];
    Thread reader =
        new Thread(
            () -> {
              try {
                output[0] = p.getInputStream().readAllBytes();
              } catch (IOException e) {
                output[0] = new byte[0];
              }
            });
    reader.start();
    boolean exited = p.waitFor(90, TimeUnit.SECONDS);
    if (!exited) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    reader.join(10_000);
    String out = output[0] == null ? "" : new String(output[0], StandardCharsets.UTF_8);
    assertThat(exited).as("scenario finished within 90 s; output:%n%s", out).isTrue();
    assertThat(p.exitValue()).as("scenario exit code; output:%n%s", out).isZero();
    return out;
  }

  private static String hostLocalRoutes() throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("ip", "route", "show", "table", "local")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }
}
