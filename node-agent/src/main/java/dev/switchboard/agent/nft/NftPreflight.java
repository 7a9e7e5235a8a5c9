package dev.switchboard.agent.nft;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks, before an agent in nftables mode starts, that it can program the kernel: the {@code nft}
 * tool runs, and the process holds CAP_NET_ADMIN (in its network namespace). An agent that could
 * not would otherwise start, look healthy and forward nothing.
 */
public final class NftPreflight {
  /** CAP_NET_ADMIN's bit in /proc/self/status CapEff (linux/capability.h). */
  private static final int CAP_NET_ADMIN = 12;

  private NftPreflight() {}

  /** "" when nftables mode can run here; otherwise one line naming what is missing and the fix. */
  public static String check(Duration timeout) {
    Nft.Result version = Nft.run(List.of("nft", "--version"), "", timeout);
    Optional<Boolean> netAdmin = effectiveNetAdmin();
    Nft.Result listTables =
        version.exitCode() == 0 && netAdmin.orElse(true)
            ? Nft.run(List.of("nft", "list", "tables"), "", timeout)
            : null;
    return problems(version, netAdmin, listTables);
  }

  /**
   * The verdict from what was observed (pure, for tests).
   *
   * @param version {@code nft --version}
   * @param netAdmin CAP_NET_ADMIN in the effective set; empty when it could not be read
   * @param listTables {@code nft list tables}, run only when the first two passed (else null)
   */
  static String problems(Nft.Result version, Optional<Boolean> netAdmin, Nft.Result listTables) {
    List<String> missing = new ArrayList<>();
    if (version.exitCode() != 0) {
      missing.add(
          "the nft tool is missing ("
              + version.error()
              + "; Debian/Ubuntu: apt-get install nftables)");
    }
    boolean refused =
        listTables != null
            && listTables.exitCode() != 0
            && listTables.output().contains("Operation not permitted");
    if (netAdmin.isPresent() && !netAdmin.get() || refused) {
      missing.add(
          "CAP_NET_ADMIN is missing (run as root or grant the capability, "
              + "e.g. securityContext.capabilities.add: [NET_ADMIN])");
    } else if (listTables != null && listTables.exitCode() != 0) {
      missing.add("`nft list tables` failed: " + listTables.error());
    }
    if (missing.isEmpty()) {
      return "";
    }
    return "--proxy-mode nftables needs the nft tool and CAP_NET_ADMIN: "
        + String.join("; ", missing)
        + " (or run with --proxy-mode userspace)";
  }

  /** CAP_NET_ADMIN in this process's effective set; empty when /proc cannot tell. */
  static Optional<Boolean> effectiveNetAdmin() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("CapEff:")) {
          long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
          return Optional.of((caps & (1L << CAP_NET_ADMIN)) != 0);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux, or an unexpected format: nft list tables decides
    }
    return Optional.empty();
  }
}
