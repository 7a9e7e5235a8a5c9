package dev.switchboard.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** A certificate and its private key, as issued by {@link CertificateAuthority}. */
public record IssuedCertificate(X509Certificate certificate, PrivateKey key) {
  /**
   * Writes both as PEM, the key owner-readable only. The key first: a reloader that sees the new
   * certificate then also finds its key (each file is replaced atomically).
   */
  public void write(Path certFile, Path keyFile) throws IOException {
    Pem.write(keyFile, Pem.privateKey(key), true);
    Pem.write(certFile, Pem.certificate(certificate), false);
  }
}
