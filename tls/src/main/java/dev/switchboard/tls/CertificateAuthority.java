package dev.switchboard.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small certificate authority, as k3s makes its own on first start: an ECDSA P-256 key and a
 * self-signed CA certificate, issuing server certificates (with IP and DNS SANs) and client
 * certificates (with an {@link Identity}'s subject). Used by the launcher and by tests; a real
 * deployment may bring certificates from anywhere (cert-manager, its own PKI).
 */
public final class CertificateAuthority {
  /** A clock skew between hosts must not make a fresh certificate "not yet valid". */
  private static final Duration BACKDATE = Duration.ofMinutes(5);

  private final IssuedCertificate ca;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  private CertificateAuthority(IssuedCertificate ca, Clock clock) {
    this.ca = ca;
    this.clock = clock;
  }

  /** A new CA whose certificate (CN={@code commonName}) is valid for {@code validity}. */
  public static CertificateAuthority create(String commonName, Duration validity) {
    Clock clock = Clock.systemUTC();
    KeyPair keys = newKeyPair();
    X500Principal subject =
        new X500Principal("CN=" + javax.naming.ldap.Rdn.escapeValue(commonName));
    X509Certificate cert =
        sign(
            subject,
            keys.getPublic(),
            subject,
            keys.getPrivate(),
            null,
            clock.instant(),
            validity,
            new SecureRandom(),
            true,
            List.of(),
            List.of());
    return new CertificateAuthority(new IssuedCertificate(cert, keys.getPrivate()), clock);
  }

  /** The CA written by {@link #write} before. */
  public static CertificateAuthority load(Path certFile, Path keyFile) throws IOException {
    X509Certificate cert = Pem.readCertificates(certFile).get(0);
    PrivateKey key = Pem.readPrivateKey(keyFile);
    return new CertificateAuthority(new IssuedCertificate(cert, key), Clock.systemUTC());
  }

  public X509Certificate certificate() {
    return ca.certificate();
  }

  /** Writes the CA's certificate and key (the key readable by the owner only). */
  public void write(Path certFile, Path keyFile) throws IOException {
    ca.write(certFile, keyFile);
  }

  /**
   * A server certificate for {@code hosts} (IP literals become IP SANs, the rest DNS SANs). It
   * allows client use too, so one certificate can serve and dial (etcd peers do both).
   */
  public IssuedCertificate issueServer(String commonName, List<String> hosts, Duration validity) {
    if (hosts.isEmpty()) {
      throw new IllegalArgumentException("hosts: [] (expected: at least one IP or DNS name)");
    }
    List<GeneralName> names = new ArrayList<>();
    for (String host : hosts) {
      names.add(
          isIpLiteral(host)
              ? new GeneralName(GeneralName.iPAddress, host)
              : new GeneralName(GeneralName.dNSName, host));
    }
    KeyPair keys = newKeyPair();
    X500Principal subject =
        new X500Principal("CN=" + javax.naming.ldap.Rdn.escapeValue(commonName));
    return new IssuedCertificate(
        sign(
            subject,
            keys.getPublic(),
            ca.certificate().getSubjectX500Principal(),
            ca.key(),
            ca.certificate(),
            clock.instant(),
            validity,
            random,
            false,
            names,
            List.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth)),
        keys.getPrivate());
  }

  /** A client certificate with {@code subject} (e.g. {@link Identity#subject()}). */
  public IssuedCertificate issueClient(X500Principal subject, Duration validity) {
    Objects.requireNonNull(subject, "subject");
    KeyPair keys = newKeyPair();
    return new IssuedCertificate(
        sign(
            subject,
            keys.getPublic(),
            ca.certificate().getSubjectX500Principal(),
            ca.key(),
            ca.certificate(),
            clock.instant(),
            validity,
            random,
            false,
            List.of(),
            List.of(KeyPurposeId.id_kp_clientAuth)),
        keys.getPrivate());
  }

  private static X509Certificate sign(
      X500Principal subject,
      PublicKey publicKey,
      X500Principal issuer,
      PrivateKey issuerKey,
      X509Certificate issuerCert,
      Instant now,
      Duration validity,
      SecureRandom random,
      boolean isCa,
      List<GeneralName> sans,
      List<KeyPurposeId> purposes) {
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity: " + validity + " (expected: > 0)");
    }
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer,
              new BigInteger(127, random).add(BigInteger.ONE),
              Date.from(now.minus(BACKDATE)),
              Date.from(now.plus(validity)),
              subject,
              publicKey);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(
              isCa
                  ? KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature
                  : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(publicKey));
      if (issuerCert != null) {
        b.addExtension(
            Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerCert));
      }
      if (!purposes.isEmpty()) {
        b.addExtension(
            Extension.extendedKeyUsage,
            false,
            new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
      }
      if (!sans.isEmpty()) {
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new IllegalStateException("cannot sign a certificate for " + subject + ": " + e, e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no ECDSA P-256 in this JVM: " + e, e);
    }
  }

  private static boolean isIpLiteral(String host) {
    if (!host.matches("[0-9.]+") && !host.contains(":")) {
      return false;
    }
    try {
      InetAddress.getByName(host); // a literal: no lookup happens
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
