package dev.switchboard.lb.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Maglev's properties, measured on 10,000 client addresses and 10 nodes, as the design asks. */
class MaglevSelectorTest {
  private static final int CLIENTS = 10_000;
  private static final List<String> NODES =
      IntStream.rangeClosed(1, 10).mapToObj(i -> "node-" + i).toList();

  private static List<InetAddress> clients() throws UnknownHostException {
    List<InetAddress> out = new ArrayList<>(CLIENTS);
    for (int i = 0; i < CLIENTS; i++) {
      out.add(
          InetAddress.getByAddress(
              new byte[] {127, (byte) (1 + i / 65_536), (byte) (i / 256), (byte) i}));
    }
    return out;
  }

  private static Map<InetAddress, String> assign(MaglevSelector s, List<InetAddress> clients) {
    Map<InetAddress, String> out = new HashMap<>();
    for (InetAddress c : clients) {
      out.put(c, s.select(c));
    }
    return out;
  }

  @Test
  void aNodeGoingOutMovesOnlyItsOwnClients() throws Exception {
    List<InetAddress> clients = clients();
    MaglevTables tables = new MaglevTables(MaglevTable.DEFAULT_SIZE);
    Map<InetAddress, String> before = assign(MaglevSelector.of(NODES, NODES, tables), clients);

    int mostMoved = 0;
    for (String gone : NODES) {
      List<String> usable = NODES.stream().filter(n -> !n.equals(gone)).toList();
      Map<InetAddress, String> after = assign(MaglevSelector.of(NODES, usable, tables), clients);
      List<InetAddress> moved =
          clients.stream().filter(c -> !before.get(c).equals(after.get(c))).toList();
      long hadGone = before.values().stream().filter(gone::equals).count();

      assertThat(moved).allSatisfy(c -> assertThat(before.get(c)).isEqualTo(gone));
      assertThat(moved).hasSize((int) hadGone); // all of its clients, and only them
      assertThat(moved.size()).isLessThanOrEqualTo(CLIENTS * 12 / 100);
      mostMoved = Math.max(mostMoved, moved.size());
      // They spread over the others rather than piling onto one.
      Map<String, Long> whereTo =
          moved.stream().collect(Collectors.groupingBy(after::get, Collectors.counting()));
      assertThat(whereTo).hasSize(9);
      assertThat(whereTo.values()).allSatisfy(n -> assertThat(n).isLessThan(hadGone / 4));
    }
    System.out.printf(
        "two-tier Maglev, 10 nodes, M=65537: one node out moves at most %.2f%% of %d clients,"
            + " none of other nodes%n",
        100.0 * mostMoved / CLIENTS, CLIENTS);
  }

  @Test
  void twoIndependentInstancesMapEveryClientAlike() throws Exception {
    List<InetAddress> clients = clients();
    // Separately built, from differently ordered (and duplicated) input.
    List<String> shuffled = new ArrayList<>(NODES);
    Collections.reverse(shuffled);
    shuffled.add("node-3");
    MaglevSelector a =
        MaglevSelector.of(NODES, NODES.subList(0, 8), new MaglevTables(MaglevTable.DEFAULT_SIZE));
    MaglevSelector b =
        MaglevSelector.of(
            shuffled,
            List.of("node-8", "node-7", "node-6", "node-5", "node-4", "node-3", "node-2", "node-1"),
            new MaglevTables(MaglevTable.DEFAULT_SIZE));
    assertThat(assign(a, clients)).isEqualTo(assign(b, clients));
  }

  @Test
  void theDistributionIsEven() throws Exception {
    MaglevTable table = MaglevTable.build(NODES, MaglevTable.DEFAULT_SIZE);
    int[] slots = table.slotCounts();
    assertThat(IntStream.of(slots).max().getAsInt() - IntStream.of(slots).min().getAsInt())
        .isLessThanOrEqualTo(1);

    Map<String, Long> perNode =
        assign(
                MaglevSelector.of(NODES, NODES, new MaglevTables(MaglevTable.DEFAULT_SIZE)),
                clients())
            .values()
            .stream()
            .collect(Collectors.groupingBy(n -> n, Collectors.counting()));
    assertThat(perNode).hasSize(10);
    // 1,000 expected each; binomial sd ~30, so ±15% is > 4 sd.
    assertThat(perNode.values()).allSatisfy(n -> assertThat(n).isBetween(850L, 1150L));
    System.out.printf(
        "distribution of %d clients over 10 nodes: min %d, max %d%n",
        CLIENTS,
        perNode.values().stream().mapToLong(Long::longValue).min().getAsLong(),
        perNode.values().stream().mapToLong(Long::longValue).max().getAsLong());
  }

  /**
   * Plain Maglev, for the record: deleting a node from the membership rebuilds tier 1 and moves a
   * few clients of other nodes too (the paper's "minimal disruption" is approximate). This bounds
   * it.
   */
  @Test
  void plainMaglevMovesAFewOtherClientsWhenTheMembershipChanges() throws Exception {
    List<InetAddress> clients = clients();
    MaglevTable all = MaglevTable.build(NODES, MaglevTable.DEFAULT_SIZE);
    double worst = 0;
    for (String gone : NODES) {
      MaglevTable less =
          MaglevTable.build(
              NODES.stream().filter(n -> !n.equals(gone)).toList(), MaglevTable.DEFAULT_SIZE);
      int other = 0;
      for (InetAddress c : clients) {
        String was = all.lookup(c);
        if (!was.equals(gone) && !was.equals(less.lookup(c))) {
          other++;
        }
        assertThat(less.lookup(c)).isNotEqualTo(gone);
      }
      worst = Math.max(worst, 100.0 * other / CLIENTS);
    }
    System.out.printf(
        "plain Maglev, 10 nodes, M=65537: worst extra remap when a member is deleted: %.2f%%%n",
        worst);
    assertThat(worst).isLessThan(1.5);
  }

  /**
   * Pinned values: a change of hash, seed or fill order would make replicas of two versions
   * disagree.
   */
  @Test
  void choicesAreStableAcrossVersions() throws Exception {
    MaglevTable t = MaglevTable.build(List.of("node-a", "node-b", "node-c"), 65_537);
    assertThat(t.lookup(InetAddress.getByName("127.0.30.5"))).isEqualTo(PINNED.get("127.0.30.5"));
    assertThat(t.lookup(InetAddress.getByName("127.0.40.1"))).isEqualTo(PINNED.get("127.0.40.1"));
    assertThat(t.lookup(InetAddress.getByName("127.0.0.1"))).isEqualTo(PINNED.get("127.0.0.1"));
    assertThat(MaglevTable.clientKey(InetAddress.getByName("127.0.0.1"))).isEqualTo(PINNED_KEY);
  }

  private static final Map<String, String> PINNED =
      Map.of("127.0.30.5", "node-a", "127.0.40.1", "node-c", "127.0.0.1", "node-b");
  private static final long PINNED_KEY = 7433910959069744251L;

  @Test
  void retriesGoToTheRemainingNodesDeterministically() throws Exception {
    MaglevSelector s = MaglevSelector.of(NODES, NODES, new MaglevTables(MaglevTable.DEFAULT_SIZE));
    InetAddress client = InetAddress.getByName("127.0.30.5");
    String first = s.select(client);
    String second = s.selectExcluding(client, Set.of(first));
    assertThat(second).isNotEqualTo(first).isIn(NODES);
    assertThat(s.selectExcluding(client, Set.of(first))).isEqualTo(second);
    assertThat(s.selectExcluding(client, Set.copyOf(NODES))).isNull();
    assertThat(MaglevSelector.of(NODES, List.of(), new MaglevTables(7)).select(client)).isNull();
  }

  @Test
  void tableSizeMustBeAPrime() {
    assertThatThrownBy(() -> MaglevTable.build(NODES, 65_536))
        .hasMessage("maglevTableSize: 65536 (expected: a prime in 3-16777213, e.g. 65537)");
    assertThat(MaglevTable.build(List.of(), 7).lookup(1L)).isNull();
    // More nodes than slots still fills the table (7 nodes get one slot each, 3 none).
    assertThat(IntStream.of(MaglevTable.build(NODES, 7).slotCounts()).filter(n -> n == 1).count())
        .isEqualTo(7);
  }
}
