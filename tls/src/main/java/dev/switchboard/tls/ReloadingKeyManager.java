package dev.switchboard.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager serving one certificate chain and key from PEM files, read again by {@link
 * #reloadIfChanged()} when either file changed (see {@link WatchedFiles}). A new pair is taken only
 * when the key matches the certificate, so a rotation caught between writing the key and the
 * certificate keeps the old pair until both are there. Handshakes after a reload present the new
 * certificate; established connections are untouched.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "switchboard";

  private final WatchedFiles<Pair> pair;

  private record Pair(X509Certificate[] chain, PrivateKey key) {}

  /** Reads both files now: a missing or mismatched pair fails here, naming the file. */
  public ReloadingKeyManager(Path certFile, Path keyFile) throws IOException {
    this.pair = new WatchedFiles<>(List.of(certFile, keyFile), () -> load(certFile, keyFile));
  }

  /** Reads the files again if they changed; true when a new pair is now served. */
  public boolean reloadIfChanged() {
    return pair.reloadIfChanged();
  }

  /** The certificate handshakes present now. */
  public X509Certificate certificate() {
    return pair.get().chain()[0];
  }

  private static Pair load(Path certFile, Path keyFile) throws IOException {
    List<X509Certificate> chain = Pem.readCertificates(certFile);
    PrivateKey key = Pem.readPrivateKey(keyFile);
    if (!matches(chain.get(0), key)) {
      throw new IOException(keyFile + ": does not match the certificate in " + certFile);
    }
    return new Pair(chain.toArray(X509Certificate[]::new), key);
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
    return ALIAS.equals(alias) ? pair.get().chain().clone() : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? pair.get().key() : null;
  }
}
