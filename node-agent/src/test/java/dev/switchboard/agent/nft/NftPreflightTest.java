package dev.switchboard.agent.nft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class NftPreflightTest {
  private static final Nft.Result VERSION = new Nft.Result(0, "nftables v1.0.6 (Lester Gooch #5)");
  private static final Nft.Result TABLES = new Nft.Result(0, "table ip filter\n");
  private static final Nft.Result NOT_FOUND =
      new Nft.Result(
          -1,
          "cannot run nft: Cannot run program \"nft\": " + "error=2, No such file or directory");

  @Test
  void nothingToSayWhenNftRunsWithNetAdmin() {
    assertThat(NftPreflight.problems(VERSION, Optional.of(true), TABLES)).isEmpty();
  }

  @Test
  void bothMissingAreNamedWithTheirFixes() {
    assertThat(NftPreflight.problems(NOT_FOUND, Optional.of(false), null))
        .isEqualTo(
            "--proxy-mode nftables needs the nft tool and CAP_NET_ADMIN: the nft tool is missing (cannot run nft: "
                + "Cannot run program \"nft\": error=2, No such file or directory; Debian/Ubuntu: apt-get install "
                + "nftables); CAP_NET_ADMIN is missing (run as root or grant the capability, e.g. "
                + "securityContext.capabilities.add: [NET_ADMIN]) (or run with --proxy-mode userspace)");
  }

  @Test
  void aKernelRefusalCountsAsMissingNetAdmin() {
    Nft.Result refused =
        new Nft.Result(1, "Error: Could not receive tables from kernel: Operation not permitted\n");
    assertThat(NftPreflight.problems(VERSION, Optional.empty(), refused))
        .contains("CAP_NET_ADMIN is missing")
        .doesNotContain("nft tool is missing");
  }

  @Test
  void nftsErrorLineIsTheOneMarkedError() {
    Nft.Result failed =
        new Nft.Result(1, "/dev/stdin:3:1-2: Error: syntax error, unexpected junk\njunk\n^^^^\n");
    assertThat(failed.error()).isEqualTo("/dev/stdin:3:1-2: Error: syntax error, unexpected junk");
    assertThat(new Nft.Result(1, "").error()).isEqualTo("nft exited with code 1");
  }

  @Test
  void aLeftoverTableIsOursOnlyByItsExactFamilyAndName() {
    assertThat(NftLeftover.listsOurTable("table inet filter\ntable ip switchboard\n")).isTrue();
    assertThat(NftLeftover.listsOurTable("table ip switchboard-old\ntable inet switchboard\n"))
        .isFalse();
    assertThat(NftLeftover.listsOurTable("")).isFalse();
  }
}
