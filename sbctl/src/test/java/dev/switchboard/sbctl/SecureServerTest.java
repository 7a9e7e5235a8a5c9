package dev.switchboard.sbctl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.controlplane.ControlPlaneSecurity;
import dev.switchboard.controlplane.auth.AdminTokens;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.tls.CertificateAuthority;
import dev.switchboard.tls.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** sbctl against a control plane serving TLS with tokens: refusals are one readable line. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SecureServerTest {
  private static final String WEB = "src/test/resources/manifests/web.yaml";

  @TempDir static Path dir;
  static EtcdProcess etcd;
  static TlsFiles tls;
  static ControlPlane cp;

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdProcess.start();
    CertificateAuthority ca = CertificateAuthority.create("sbctl-test-ca", Duration.ofDays(1));
    ca.write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
    ca.issueServer("cp", List.of("127.0.0.1"), Duration.ofDays(1))
        .write(dir.resolve("cp.crt"), dir.resolve("cp.key"));
    Files.writeString(dir.resolve("tokens.csv"), "ed-token,alice,editor\nview-token,bob,viewer\n");
    tls =
        TlsFiles.load(
            dir.resolve("cp.crt"),
            dir.resolve("cp.key"),
            dir.resolve("ca.crt"),
            Duration.ofSeconds(10));
    cp =
        ControlPlane.start(
            ControlPlaneConfig.local(etcd.endpoint(), "/sbctl-secure"),
            Telemetry.disabled(),
            new ControlPlaneSecurity(
                tls.serverCredentials(), AdminTokens.load(dir.resolve("tokens.csv")), null));
  }

  @AfterAll
  static void stop() {
    cp.close();
    tls.close();
    etcd.close();
  }

  private static String server() {
    return "127.0.0.1:" + cp.port();
  }

  private static String ca() {
    return dir.resolve("ca.crt").toString();
  }

  @Test
  void withoutATokenTheRefusalIsOneLine() {
    SbctlHarness.Run run =
        SbctlHarness.sbctlIn(
            Map.of(), "", "get", "svc", "--server", server(), "--certificate-authority", ca());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("Error from server (Unauthorized): Admin API: no credentials")
        .endsWith("\n")
        .hasLineCount(1);
    SbctlHarness.Run wrong =
        SbctlHarness.sbctlIn(
            Map.of(),
            "",
            "get",
            "svc",
            "--server",
            server(),
            "--certificate-authority",
            ca(),
            "--token",
            "guess");
    assertThat(wrong.err())
        .isEqualTo("Error from server (Unauthorized): Admin API: invalid bearer token\n");
  }

  @Test
  void aViewerMayGetButNotApply() {
    SbctlHarness.Run get =
        SbctlHarness.sbctlIn(
            Map.of(),
            "",
            "get",
            "svc",
            "--server",
            server(),
            "--certificate-authority",
            ca(),
            "--token",
            "view-token");
    assertThat(get.exit()).as(get.err()).isZero();
    String manifest =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: viewer-svc\nspec:\n"
            + "  selector:\n    app: v\n  ports:\n    - port: 80\n";
    SbctlHarness.Run apply =
        SbctlHarness.sbctlIn(
            Map.of(),
            manifest,
            "apply",
            "-f",
            "-",
            "--server",
            server(),
            "--certificate-authority",
            ca(),
            "--token",
            "view-token");
    assertThat(apply.exit()).isEqualTo(1);
    assertThat(apply.err())
        .contains("Error from server (Forbidden): ")
        .contains("user \"bob\" (role viewer) cannot ApplyService: it needs the editor role")
        .hasLineCount(1);
  }

  @Test
  void anEditorFromTheEnvironmentApplies() {
    Map<String, String> env =
        Map.of(
            ClientOptions.SERVER_ENV,
            server(),
            ClientOptions.CA_ENV,
            ca(),
            ClientOptions.TOKEN_ENV,
            "ed-token");
    SbctlHarness.Run apply = SbctlHarness.sbctlIn(env, "", "apply", "-f", WEB);
    assertThat(apply.exit()).as(apply.err()).isZero();
    assertThat(apply.out()).contains("service/web");
    SbctlHarness.Run get = SbctlHarness.sbctlIn(env, "", "get", "svc", "web");
    assertThat(get.out()).contains("web");
  }

  @Test
  void plaintextOrAnUntrustedServerIsAConnectionErrorOnOneLine() {
    SbctlHarness.Run plain =
        SbctlHarness.sbctlIn(
            Map.of(), "", "get", "svc", "--server", server(), "--insecure", "--token", "ed-token");
    assertThat(plain.exit()).isEqualTo(1);
    assertThat(plain.err()).hasLineCount(1).contains("drop --insecure");
    SbctlHarness.Run untrusted =
        SbctlHarness.sbctlIn(
            Map.of(), "", "get", "svc", "--server", server(), "--token", "ed-token");
    assertThat(untrusted.exit()).isEqualTo(1);
    assertThat(untrusted.err())
        .startsWith("Unable to connect to the server at " + server())
        .contains("--certificate-authority")
        .hasLineCount(1);
  }
}
