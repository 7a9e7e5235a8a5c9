package dev.switchboard.launcher;

import dev.switchboard.tls.CertificateAuthority;
import dev.switchboard.tls.Identity;
import dev.switchboard.tls.IssuedCertificate;
import dev.switchboard.tls.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

/**
 * The local cluster's own CA and certificates under {@code <state>/pki}, made on the first run and
 * reused after, as k3s does: the control plane's server certificate (127.0.0.1, localhost), one
 * client certificate per node agent and one for cloud-lb, and the Admin API's token file with an
 * editor and a viewer token. A certificate missing, not issued by this CA, or expiring within
 * {@link #RENEW_BEFORE} is issued again; the CA is only made when absent.
 */
final class LocalPki {
  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  static final Duration LEAF_VALIDITY = Duration.ofDays(365);
  static final Duration RENEW_BEFORE = Duration.ofDays(30);

  private final Path dir;
  private final CertificateAuthority ca;
  private final boolean createdCa;

  private LocalPki(Path dir, CertificateAuthority ca, boolean createdCa) {
    this.dir = dir;
    this.ca = ca;
    this.createdCa = createdCa;
  }

  /** Loads or creates the CA, then every certificate {@code nodes} agents and cloud-lb need. */
  static LocalPki ensure(Path stateDir, int nodes) throws IOException {
    Path dir = stateDir.resolve("pki");
    Files.createDirectories(dir);
    Path caCert = dir.resolve("ca.crt");
    Path caKey = dir.resolve("ca.key");
    boolean created = !Files.exists(caCert) || !Files.exists(caKey);
    CertificateAuthority ca;
    if (created) {
      ca =
          CertificateAuthority.create(
              "switchboard-local-ca@" + Instant.now().getEpochSecond(), CA_VALIDITY);
      ca.write(caCert, caKey);
    } else {
      ca = CertificateAuthority.load(caCert, caKey);
    }
    LocalPki pki = new LocalPki(dir, ca, created);
    pki.leaf(
        "control-plane",
        () ->
            ca.issueServer(
                "switchboard-control-plane", List.of("127.0.0.1", "localhost"), LEAF_VALIDITY));
    for (int n = 1; n <= nodes; n++) {
      Identity node = Identity.node("node-" + n);
      pki.leaf("node-" + n, () -> ca.issueClient(node.subject(), LEAF_VALIDITY));
    }
    Identity lb = Identity.loadBalancer("cloud-lb");
    pki.leaf("cloud-lb", () -> ca.issueClient(lb.subject(), LEAF_VALIDITY));
    pki.tokens();
    return pki;
  }

  boolean createdCa() {
    return createdCa;
  }

  Path caCert() {
    return dir.resolve("ca.crt");
  }

  Path cert(String name) {
    return dir.resolve(name + ".crt");
  }

  Path key(String name) {
    return dir.resolve(name + ".key");
  }

  /** {@code token,user,role} lines for the control plane's {@code --admin-tokens}. */
  Path tokenFile() {
    return dir.resolve("admin-tokens.csv");
  }

  Path editorTokenFile() {
    return dir.resolve("admin.token");
  }

  Path viewerTokenFile() {
    return dir.resolve("viewer.token");
  }

  String editorToken() throws IOException {
    return Files.readString(editorTokenFile(), StandardCharsets.US_ASCII).strip();
  }

  private void leaf(String name, Supplier<IssuedCertificate> issue) throws IOException {
    Path cert = cert(name);
    if (Files.exists(cert) && Files.exists(key(name)) && stillGood(cert)) {
      return;
    }
    issue.get().write(cert, key(name));
  }

  private boolean stillGood(Path certFile) {
    try {
      X509Certificate cert = Pem.readCertificates(certFile).get(0);
      cert.verify(ca.certificate().getPublicKey());
      return cert.getNotAfter().toInstant().isAfter(Instant.now().plus(RENEW_BEFORE));
    } catch (IOException | java.security.GeneralSecurityException e) {
      return false;
    }
  }

  private void tokens() throws IOException {
    if (Files.exists(tokenFile())
        && Files.exists(editorTokenFile())
        && Files.exists(viewerTokenFile())) {
      return;
    }
    String editor = randomToken();
    String viewer = randomToken();
    Pem.write(editorTokenFile(), editor + "\n", true);
    Pem.write(viewerTokenFile(), viewer + "\n", true);
    Pem.write(
        tokenFile(),
        "# token,user,role (made by bin/run-local)\n"
            + editor
            + ",admin,editor\n"
            + viewer
            + ",viewer,viewer\n",
        true);
  }

  private static String randomToken() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
