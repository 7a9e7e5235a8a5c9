package dev.switchboard.agent.nft;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an agent starting in userspace mode does about a table an earlier agent in nftables mode
 * left on the node (as kube-proxy removes the other modes' rules at start): its rules would go on
 * translating service traffic in the kernel, ahead of the userspace forwarder, with endpoints
 * nobody updates. When {@code nft} runs, the process holds CAP_NET_ADMIN and {@code table ip
 * switchboard} exists, it is deleted (and logged); without {@code nft} or the capability there is
 * nothing this agent could have programmed or could remove, so nothing is said.
 */
public final class NftLeftover {
  private static final Logger log = LoggerFactory.getLogger(NftLeftover.class);

  private NftLeftover() {}

  /**
   * Deletes {@code table ip switchboard} when it is there and this process may.
   *
   * @return what was done, for the log and tests: "" when nothing was there (or nft or the
   *     capability is missing); otherwise a line saying the table was deleted, or why it was not
   */
  public static String removeForUserspaceMode(Duration timeout) {
    Optional<Boolean> netAdmin = NftPreflight.effectiveNetAdmin();
    if (netAdmin.isPresent() && !netAdmin.get()) {
      return "";
    }
    // `list tables` reads the table names only, not their contents; without nft it fails at once.
    Nft.Result tables = Nft.run(List.of("nft", "list", "tables"), "", timeout);
    if (tables.exitCode() != 0 || !listsOurTable(tables.output())) {
      return "";
    }
    String error = Nft.system(timeout).apply(NftBatch.delete());
    if (error.isEmpty()) {
      String done =
          "userspace mode: deleted table ip "
              + NftRuleset.TABLE
              + ", left by an agent in nftables mode (its rules would still translate service "
              + "traffic in the kernel)";
      log.info("{}", done);
      return done;
    }
    String failed =
        "userspace mode: table ip "
            + NftRuleset.TABLE
            + " left by an agent in nftables mode could not be deleted: "
            + error
            + " (run node-agent --cleanup)";
    log.warn("{}", failed);
    return failed;
  }

  /** Whether {@code nft list tables} output names our table. */
  static boolean listsOurTable(String output) {
    return output.lines().anyMatch(l -> l.trim().equals("table ip " + NftRuleset.TABLE));
  }
}
