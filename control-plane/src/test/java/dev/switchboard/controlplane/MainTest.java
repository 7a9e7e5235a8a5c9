package dev.switchboard.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.testing.EtcdProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The process' front door: bad flags and an absent etcd give one clear line and an exit code. */
class MainTest {
  @Test
  void aBadFlagValueIsOneLineNamingTheFlag() {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(err, true), "--listen", "nonsense");
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("--listen").contains("nonsense").doesNotContain("\tat ");
  }

  @Test
  void aBadRangeIsRefusedBeforeAnythingStarts() {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(err, true), "--service-cidr", "10.0.0.0/40",
        "--etcd-endpoints", "http://127.0.0.1:1", "--listen", "127.0.0.1:0", "--insecure");
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("10.0.0.0/40").doesNotContain("\tat ");
  }

  @Test
  void unreachableEtcdGivesUpAfterTheWaitWithOneLine() {
    int port = EtcdProcess.freePort(); // nothing listens there
    StringWriter err = new StringWriter();
    long start = System.nanoTime();
    int code = Main.run(new PrintWriter(err, true), "--etcd-endpoints", "http://127.0.0.1:" + port,
        "--etcd-wait", "2s", "--listen", "127.0.0.1:0", "--insecure");
    assertThat(code).isEqualTo(1);
    assertThat(System.nanoTime() - start).isLessThan(30_000_000_000L);
    assertThat(err.toString().trim()).contains("127.0.0.1:" + port).contains("unreachable")
        .doesNotContain("\tat ").hasLineCount(1);
  }
}
