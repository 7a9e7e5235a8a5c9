package dev.switchboard.agent.nft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The kernel data path for real: rules made by {@link NftProxier}, real sockets through them. Each
 * case runs {@link NftKernelScenario} in a network namespace this test creates with {@code unshare
 * --net --map-root-user}: its own loopback, interfaces, routes and nftables tables, all gone when
 * the process exits. The host's nftables tables and routes are never touched (the agent's table is
 * made only inside that namespace), and no packet leaves it.
 *
 * <p>Inside: a veth pair ({@code sb0}, whose peer {@code sb1} answers nothing; the dummy link type
 * is often missing in containers) holds the node address 10.0.0.1/24, and the service CIDR
 * 10.96.0.0/16 is routed into it, so a ClusterIP is not a local address: a connection to one
 * reaches a pod only through the DNAT rules, and without them would wait for an ARP answer that
 * never comes (a hang, which makes the no-endpoint rejection visible). Pods are 10.244.0.1-3 on lo.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class NftKernelTest {
  private static final String SETUP =
      "ip link set lo up"
          + " && ip link add sb0 type veth peer name sb1 && ip link set sb1 up && ip link set sb0 up"
          + " && ip addr add 10.0.0.1/24 dev sb0"
          + " && ip route add 10.96.0.0/16 dev sb0"
          + " && ip addr add 10.244.0.1/32 dev lo && ip addr add 10.244.0.2/32 dev lo"
          + " && ip addr add 10.244.0.3/32 dev lo";

  @BeforeAll
  static void toolsArePresent() throws IOException, InterruptedException {
    List<String> missing = new ArrayList<>();
    for (String[] tool :
        new String[][] {
          {"unshare", "util-linux"},
          {"nft", "nftables"},
          {"ip", "iproute2"},
          {"setpriv", "util-linux"}
        }) {
      Process p =
          new ProcessBuilder("sh", "-c", "command -v " + tool[0]).redirectErrorStream(true).start();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        missing.add(tool[0] + " (Debian package " + tool[1] + ")");
      }
    }
    assertThat(missing)
        .as(
            "this test needs these tools; install them (bin/test does: "
                + "apt-get install -y nftables iproute2 util-linux)")
        .isEmpty();
  }

  @Test
  void servicesReachPodsBalanceEvenlyRefuseWithoutEndpointsAndLeaveNothingBehind()
      throws Exception {
    String out = inNamespace("rules", "");
    assertThat(out)
        .contains("RESULT programmed: no errors")
        .contains("RESULT clusterip: 10.96.0.10:80 answered pod-")
        .contains("RESULT nodeport: 10.0.0.1:30080 answered pod-")
        .containsPattern(
            "RESULT balance: 3000 connections: pod-1=\\d+ pod-2=\\d+ pod-3=\\d+ within 900-1100")
        .containsPattern(
            "RESULT udp: one flow stayed on pod-\\d; after it left the endpoints the flow's next "
                + "datagram reached pod-\\d")
        .contains("RESULT no-endpoints clusterip: 10.96.0.11:80 refused")
        .contains("RESULT no-endpoints nodeport: 10.0.0.1:30081 refused")
        .contains("RESULT affinity: 100 connections from one client reached one pod")
        .containsPattern(
            "RESULT affinity expiry: pinned to pod-\\d for 21 quick connections; after \\d+ "
                + "pause\\(s\\) of 1\\.5 s another pod answered")
        .contains(
            "RESULT affinity kept across a resync and a change to another service; "
                + "the removed endpoint got none of 30 new connections")
        .contains(
            "RESULT drift repaired: table deleted by hand, resync restored it, 10.96.0.10:80 answered pod-")
        .contains("RESULT deleted: nothing of default/web left in the table")
        .contains("RESULT cleanup: no table left");
  }

  /** Three namespaces: a client, this node (forwarding), the pods; joined by veth pairs. */
  private static final String FORWARD_SETUP =
      "ip link set lo up"
          + " && { unshare --net sleep 120 & PODS=$!; unshare --net sleep 120 & CLIENT=$!; }"
          + " && me=$(readlink /proc/self/ns/net) && i=0"
          + " && while [ \"$(readlink /proc/$PODS/ns/net)\" = \"$me\" ] || [ \"$(readlink /proc/$CLIENT/ns/net)\" = \"$me\" ];"
          + " do i=$((i+1)); [ $i -lt 250 ] || exit 3; sleep 0.02; done"
          + " && ip link add pv0 type veth peer name pv1 && ip link set pv1 netns $PODS"
          + " && ip link add sb0 type veth peer name sb1 && ip link set sb1 netns $CLIENT"
          + " && ip addr add 10.244.0.254/24 dev pv0 && ip link set pv0 up"
          + " && ip addr add 10.0.0.1/24 dev sb0 && ip link set sb0 up"
          + " && echo 1 > /proc/sys/net/ipv4/ip_forward"
          + " && nsenter -t $PODS -n sh -c 'ip link set lo up && ip link set pv1 up && ip addr add 10.244.0.1/24 dev pv1"
          + " && ip addr add 10.244.0.2/24 dev pv1 && ip addr add 10.244.0.3/24 dev pv1"
          + " && ip route add default via 10.244.0.254'"
          + " && nsenter -t $CLIENT -n sh -c 'ip link set lo up && ip link set sb1 up && ip addr add 10.0.0.2/24 dev sb1"
          + " && ip route add default via 10.0.0.1'";

  @Test
  void trafficFromAnotherHostCrossesTheNodeMasqueradedUnlessLocal() throws Exception {
    String out = run("forward", FORWARD_SETUP, "", "forward $PODS $CLIENT");
    assertThat(out)
        .containsPattern(
            "RESULT forward cluster nodeport: client 10\\.0\\.0\\.2 -> 10\\.0\\.0\\.1:30080 answered "
                + "pod-\\d from 10\\.244\\.0\\.254 \\(masqueraded\\)")
        .containsPattern(
            "RESULT forward loadbalancer ip: client 10\\.0\\.0\\.2 -> 203\\.0\\.113\\.7:80 answered "
                + "pod-\\d from 10\\.244\\.0\\.254 \\(masqueraded\\)")
        .contains(
            "RESULT forward local nodeport: client 10.0.0.2 -> 10.0.0.1:30090 answered pod-1 from 10.0.0.2 "
                + "(client address kept)")
        .contains("RESULT forward local nodeport without local pods: refused")
        .containsPattern(
            "RESULT forward clusterip: client 10\\.0\\.0\\.2 -> 10\\.96\\.0\\.10:80 answered "
                + "pod-\\d from 10\\.0\\.0\\.2")
        .contains(
            "RESULT forward hairpin: pod-1 10.244.0.1 -> 10.96.0.40:80 answered pod-1 from "
                + "10.244.0.254; -> 10.244.0.254:30100 (policy Local) answered pod-1 from "
                + "10.244.0.254 (masqueraded)")
        .contains(
            "RESULT forward hairpin control: without its @hairpin entry the same connection got "
                + "no answer")
        .contains(
            "RESULT forward cleanup: node-agent --cleanup said \"node-agent: table ip switchboard deleted "
                + "(or absent)\"; no table left");
  }

  @Test
  void anAgentInNftablesModeServesPlainPortsInTheKernelAndHttpPortsInUserspace() throws Exception {
    String out = inNamespace("agent", "");
    assertThat(out)
        .containsPattern(
            "RESULT agent kernel: 10\\.96\\.\\d+\\.\\d+:80 answered pod-1, "
                + "10\\.0\\.0\\.1:\\d+ answered pod-1")
        .containsPattern(
            "RESULT agent userspace: 10\\.96\\.\\d+\\.\\d+:80 \\(appProtocol http\\) answered "
                + "pod-1 through the forwarder, not in the table")
        .contains(
            "RESULT agent statusz: each port's data path listed, with why it needs the proxy");
  }

  @Test
  void anAgentStartedInUserspaceModeRemovesTheTableAnNftablesModeAgentLeft() throws Exception {
    String out = inNamespace("leftover", "");
    assertThat(out)
        .contains(
            "RESULT leftover: a userspace-mode agent deleted the table and logged: userspace mode: "
                + "deleted table ip switchboard, left by an agent in nftables mode")
        .contains(
            "RESULT leftover quiet: with no table, and without nft, the agent says nothing about it");
  }

  @Test
  void anAgentWithoutNftOrNetAdminIsRefusedNamingBoth() throws Exception {
    // Root in the namespace, but without CAP_NET_ADMIN in its bounding set and without nft on
    // its PATH: as a pod missing both.
    String out =
        inNamespace(
            "refuse", "env PATH=/nonexistent setpriv --bounding-set=-net_admin --inh-caps=-all ");
    assertThat(out)
        .contains(
            "RESULT refuse: --proxy-mode nftables needs the nft tool and CAP_NET_ADMIN: "
                + "the nft tool is missing (")
        .contains("; CAP_NET_ADMIN is missing (run as root or grant the capability");
  }

  private static String inNamespace(String mode, String wrapper)
      throws IOException, InterruptedException {
    return run(mode, SETUP, wrapper, mode);
  }

  /**
   * Runs {@code setup}, then the scenario with {@code args}, in a new user and network namespace.
   */
  private static String run(String mode, String setup, String wrapper, String args)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String heap = "-Xmx128m -XX:TieredStopAtLevel=1";
    String script =
        setup
            + " && exec "
            + wrapper
            + "\"$0\" "
            + heap
            + " -cp \"$1\" "
            + NftKernelScenario.class.getName()
            + " "
            + args;
    // setpriv is looked up before PATH is emptied: give its full path.
    if (!wrapper.isEmpty()) {
      script = script.replace("setpriv ", which("setpriv") + " ");
    }
    // A user namespace caps nft's netlink socket buffer (SO_SNDBUFFORCE needs CAP_NET_ADMIN in
    // the host's user namespace): batches over ~250 KiB fail with "Message too long". The
    // tables here are small; the cost at scale is measured by bench/nftables sync, as root.
    List<String> command = new ArrayList<>(List.of("unshare", "--net", "--map-root-user", "--"));
    command.addAll(List.of("sh", "-c", script, java, System.getProperty("java.class.path")));
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
    int limitSeconds = 120;
    boolean exited = p.waitFor(limitSeconds, TimeUnit.SECONDS);
    if (!exited) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    reader.join(10_000);
    String out = output[0] == null ? "" : new String(output[0], StandardCharsets.UTF_8);
    out.lines().filter(l -> l.startsWith("RESULT")).forEach(System.out::println);
    assertThat(exited).as("scenario finished within %d s; output:%n%s", limitSeconds, out).isTrue();
    assertThat(p.exitValue()).as("scenario exit code; output:%n%s", out).isZero();
    return out;
  }

  private static String which(String tool) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).start();
    String path = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor(10, TimeUnit.SECONDS);
    return path;
  }
}
