package dev.switchboard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.tls.CertificateAuthority;
import dev.switchboard.tls.Identity;
import dev.switchboard.tls.Identity.Kind;
import dev.switchboard.tls.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's CA: made on the first run, reused by the next (as k3s does). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalPkiTest {
  @Test
  void theFirstRunCreatesThePkiAndTheSecondReusesIt(@TempDir Path state) throws Exception {
    LocalPki first = LocalPki.ensure(state, 2);
    assertThat(first.createdCa()).isTrue();
    Path pki = state.resolve("pki");
    assertThat(Identity.of(Pem.readCertificates(first.cert("node-2")).get(0)))
        .contains(Identity.node("node-2"));
    assertThat(Identity.of(Pem.readCertificates(first.cert("cloud-lb")).get(0)).map(Identity::kind))
        .contains(Kind.LOAD_BALANCER);
    assertThat(
            Pem.readCertificates(first.cert("control-plane")).get(0).getSubjectAlternativeNames())
        .extracting(san -> (Object) san.get(1))
        .contains("127.0.0.1", "localhost");
    assertThat(Files.readString(first.tokenFile())).contains(first.editorToken() + ",admin,editor");
    byte[] ca = Files.readAllBytes(pki.resolve("ca.crt"));
    byte[] node1 = Files.readAllBytes(first.cert("node-1"));
    String tokens = Files.readString(first.tokenFile());

    LocalPki second = LocalPki.ensure(state, 3);
    assertThat(second.createdCa()).isFalse();
    assertThat(Files.readAllBytes(pki.resolve("ca.crt"))).isEqualTo(ca);
    assertThat(Files.readAllBytes(second.cert("node-1"))).isEqualTo(node1);
    assertThat(Files.readString(second.tokenFile())).isEqualTo(tokens);
    // A third node: its certificate is issued by the same CA.
    Pem.readCertificates(second.cert("node-3"))
        .get(0)
        .verify(Pem.readCertificates(pki.resolve("ca.crt")).get(0).getPublicKey());
  }

  @Test
  void aCertificateFromAnotherCaIsIssuedAgain(@TempDir Path state) throws Exception {
    LocalPki pki = LocalPki.ensure(state, 1);
    CertificateAuthority.create("other", Duration.ofDays(1))
        .issueClient(Identity.node("node-1").subject(), Duration.ofDays(1))
        .write(pki.cert("node-1"), pki.key("node-1"));
    LocalPki.ensure(state, 1);
    Pem.readCertificates(pki.cert("node-1"))
        .get(0)
        .verify(Pem.readCertificates(pki.caCert()).get(0).getPublicKey());
  }
}
