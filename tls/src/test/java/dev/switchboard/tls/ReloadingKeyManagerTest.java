package dev.switchboard.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingKeyManagerTest {
  private static final Duration DAY = Duration.ofDays(1);
  private final CertificateAuthority ca = CertificateAuthority.create("ca", DAY);

  private IssuedCertificate issue() {
    return ca.issueServer("server", List.of("127.0.0.1", "localhost"), DAY);
  }

  @Test
  void takesANewPairOnlyWhenTheFilesChangedAndTheKeyMatches(@TempDir Path dir) throws IOException {
    Path cert = dir.resolve("s.crt");
    Path key = dir.resolve("s.key");
    IssuedCertificate first = issue();
    first.write(cert, key);
    ReloadingKeyManager keys = new ReloadingKeyManager(cert, key);
    assertThat(keys.reloadIfChanged()).isFalse();
    assertThat(keys.getCertificateChain("switchboard")[0]).isEqualTo(first.certificate());

    // Half a rotation: a new certificate next to the old key is not taken.
    IssuedCertificate second = issue();
    Pem.write(cert, Pem.certificate(second.certificate()), false);
    assertThat(keys.reloadIfChanged()).isFalse();
    assertThat(keys.certificate()).isEqualTo(first.certificate());
    assertThat(keys.getPrivateKey("switchboard")).isEqualTo(first.key());

    // The key arrives: the pair is taken.
    Pem.write(key, Pem.privateKey(second.key()), true);
    assertThat(keys.reloadIfChanged()).isTrue();
    assertThat(keys.certificate()).isEqualTo(second.certificate());
    assertThat(keys.getPrivateKey("switchboard")).isEqualTo(second.key());
  }

  @Test
  void aMismatchedOrMissingPairFailsAtStartNamingTheFile(@TempDir Path dir) throws IOException {
    Path cert = dir.resolve("s.crt");
    Path key = dir.resolve("s.key");
    issue().write(cert, key);
    Pem.write(key, Pem.privateKey(issue().key()), true);
    assertThatThrownBy(() -> new ReloadingKeyManager(cert, key))
        .hasMessage(key + ": does not match the certificate in " + cert);
    assertThatThrownBy(() -> new ReloadingKeyManager(dir.resolve("none.crt"), key))
        .hasMessage(dir.resolve("none.crt") + ": no such file");
    Files.writeString(cert, "garbage");
    assertThatThrownBy(() -> new ReloadingKeyManager(cert, key))
        .hasMessageContaining(cert + ": no certificate");
  }
}
