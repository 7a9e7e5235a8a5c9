package dev.switchboard.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key manager serving one certificate chain and key from PEM files, read again by
 * {@link #reloadIfChanged()} when either file changed (modification time or size). A new pair is
 * taken only when the key matches the certificate, so a rotation caught between writing the key
 * and the certificate keeps the old pair until both are there. Handshakes after a reload present
 * the new certificate; established connections are untouched.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final Logger log = LoggerFactory.getLogger(ReloadingKeyManager.class);
  private static final String ALIAS = "switchboard";

  private final Path certFile;
  private final Path keyFile;
  /** Replaced whole by the reloading thread; read by handshakes on any thread. */
  private volatile Loaded current;

  private record Loaded(X509Certificate[] chain, PrivateKey key, String stamp) {}

  /** Reads both files now: a missing or mismatched pair fails here, naming the file. */
  public ReloadingKeyManager(Path certFile, Path keyFile) throws IOException {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.current = load(stamp());
  }

  /** Reads the files again if they changed; true when a new pair is now served. */
  public boolean reloadIfChanged() {
    try {
      String stamp = stamp();
      if (stamp.equals(current.stamp())) {
        return false;
      }
      current = load(stamp);
      log.info("reloaded certificate {} (serial {})", certFile,
          current.chain()[0].getSerialNumber().toString(16));
      return true;
    } catch (IOException e) {
      log.warn("keeping the current certificate: {}", e.getMessage());
      return false;
    }
  }

  /** The certificate handshakes present now. */
  public X509Certificate certificate() {
    return current.chain()[0];
  }

  private String stamp() throws IOException {
    StringBuilder b = new StringBuilder();
    for (Path p : List.of(certFile, keyFile)) {
      BasicFileAttributes a = Pem.attributes(p);
      b.append(a.lastModifiedTime().toMillis()).append('/').append(a.size()).append('/')
          .append(a.fileKey()).append(';');
    }
    return b.toString();
  }

  private Loaded load(String stamp) throws IOException {
    List<X509Certificate> chain = Pem.readCertificates(certFile);
    PrivateKey key = Pem.readPrivateKey(keyFile);
    if (!matches(chain.get(0), key)) {
      throw new IOException(keyFile + ": does not match the certificate in " + certFile);
    }
    return new Loaded(chain.toArray(X509Certificate[]::new), key, stamp);
  }

  private static boolean matches(X509Certificate cert, PrivateKey key) {
    String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    try {
      byte[] probe = "switchboard key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return ALIAS;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return ALIAS;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? current.chain().clone() : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? current.key() : null;
  }
}
