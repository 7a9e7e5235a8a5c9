package dev.switchboard.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.tls.CertificateAuthority;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  void aPortOutOfRangeIsRefusedNamingItsFlag() {
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new PrintWriter(err, true),
            "--health-port",
            "70000",
            "--etcd-endpoints",
            "http://127.0.0.1:1",
            "--listen",
            "127.0.0.1:0",
            "--insecure");
    assertThat(code).isNotZero();
    assertThat(err.toString())
        .contains("--health-port: 70000 (expected: 0-65535)")
        .doesNotContain("\tat ");
  }

  @Test
  void aBadRangeIsRefusedBeforeAnythingStarts() {
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new PrintWriter(err, true),
            "--service-cidr",
            "10.0.0.0/40",
            "--etcd-endpoints",
            "http://127.0.0.1:1",
            "--listen",
            "127.0.0.1:0",
            "--insecure");
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("10.0.0.0/40").doesNotContain("\tat ");
  }

  @Test
  void unreachableEtcdGivesUpAfterTheWaitWithOneLine() {
    int port = EtcdProcess.freePort(); // nothing listens there
    StringWriter err = new StringWriter();
    long start = System.nanoTime();
    int code =
        Main.run(
            new PrintWriter(err, true),
            "--etcd-endpoints",
            "http://127.0.0.1:" + port,
            "--etcd-wait",
            "2s",
            "--listen",
            "127.0.0.1:0",
            "--insecure");
    assertThat(code).isEqualTo(1);
    assertThat(System.nanoTime() - start).isLessThan(30_000_000_000L);
    assertThat(err.toString().trim())
        .contains("127.0.0.1:" + port)
        .contains("unreachable")
        .doesNotContain("\tat ")
        .hasLineCount(1);
  }

  @Test
  void withoutTlsFlagsOrInsecureItRefusesToStartNamingWhatIsMissing() {
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new PrintWriter(err, true),
            "--etcd-endpoints",
            "http://127.0.0.1:1",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "server.crt");
    assertThat(code).isNotZero();
    assertThat(err.toString())
        .contains("TLS is required: missing --tls-key, --client-ca, " + "--admin-tokens")
        .contains("--insecure")
        .doesNotContain("\tat ");
  }

  @Test
  void insecureCannotBeMixedWithTlsFlags() {
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new PrintWriter(err, true),
            "--insecure",
            "--tls-cert",
            "server.crt",
            "--listen",
            "127.0.0.1:0");
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("--insecure: cannot be combined with --tls-cert");
  }

  @Test
  void aBadTokenLineIsAStartupErrorNamingFileAndLine(@TempDir Path dir) throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("ca", Duration.ofDays(1));
    ca.write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
    ca.issueServer("cp", List.of("127.0.0.1"), Duration.ofDays(1))
        .write(dir.resolve("cp.crt"), dir.resolve("cp.key"));
    Path tokens = dir.resolve("tokens.csv");
    Files.writeString(tokens, "# comment\nabc,alice,editor\ndef,bob,admin\n");
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new PrintWriter(err, true),
            "--etcd-endpoints",
            "http://127.0.0.1:1",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            dir.resolve("cp.crt").toString(),
            "--tls-key",
            dir.resolve("cp.key").toString(),
            "--client-ca",
            dir.resolve("ca.crt").toString(),
            "--admin-tokens",
            tokens.toString());
    assertThat(code).isNotZero();
    assertThat(err.toString())
        .startsWith(
            "switchboard-control-plane: " + tokens + ":3: role: Unsupported value: \"admin\"")
        .doesNotContain("\tat ");
  }

  @Test
  void aMissingCertificateFileIsNamed(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("tokens.csv"), "abc,alice,editor\n");
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new PrintWriter(err, true),
            "--etcd-endpoints",
            "http://127.0.0.1:1",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            dir.resolve("nope.crt").toString(),
            "--tls-key",
            dir.resolve("nope.key").toString(),
            "--client-ca",
            dir.resolve("ca.crt").toString(),
            "--admin-tokens",
            dir.resolve("tokens.csv").toString());
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains(dir.resolve("nope.crt") + ": no such file");
  }

  @Test
  void etcdTlsFlagsNeedHttpsEndpoints() {
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new PrintWriter(err, true),
            "--insecure",
            "--etcd-endpoints",
            "http://127.0.0.1:1",
            "--etcd-cacert",
            "ca.crt",
            "--listen",
            "127.0.0.1:0");
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("--etcd-cacert").contains("has no https URL");
  }
}
