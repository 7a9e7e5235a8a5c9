package dev.switchboard.controlplane.it;

import dev.switchboard.controlplane.ControlPlaneSecurity;
import dev.switchboard.controlplane.auth.AdminTokens;
import dev.switchboard.tls.BearerToken;
import dev.switchboard.tls.CertificateAuthority;
import dev.switchboard.tls.Identity;
import dev.switchboard.tls.IssuedCertificate;
import dev.switchboard.tls.TlsFiles;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/** A CA in a directory and the files a secure control plane and its clients are given. */
final class TestPki implements AutoCloseable {
  static final String EDITOR = "editor-token-0123456789";
  static final String VIEWER = "viewer-token-0123456789";
  static final Duration DAY = Duration.ofDays(1);

  final Path dir;
  final CertificateAuthority ca;
  private final List<TlsFiles> opened = new ArrayList<>();

  TestPki(Path dir) {
    this.dir = dir;
    this.ca = CertificateAuthority.create("test-ca", DAY);
    try {
      ca.write(caFile(), dir.resolve("ca.key"));
      Files.writeString(
          dir.resolve("tokens.csv"),
          "# test tokens\n" + EDITOR + ",alice,editor\n" + VIEWER + ",bob,viewer\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path caFile() {
    return dir.resolve("ca.crt");
  }

  /** Writes a server certificate for 127.0.0.1 as {@code name}.crt/.key. */
  IssuedCertificate server(String name) {
    return write(name, ca.issueServer(name, List.of("127.0.0.1", "localhost"), DAY));
  }

  IssuedCertificate client(String name, X500Principal subject) {
    return write(name, ca.issueClient(subject, DAY));
  }

  IssuedCertificate node(String node) {
    return client(node, Identity.node(node).subject());
  }

  IssuedCertificate write(String name, IssuedCertificate cert) {
    try {
      cert.write(dir.resolve(name + ".crt"), dir.resolve(name + ".key"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return cert;
  }

  /** TLS files named {@code name} (null: none) with this CA, checked for changes every 100 ms. */
  TlsFiles files(String name) {
    try {
      TlsFiles files =
          TlsFiles.load(
              name == null ? null : dir.resolve(name + ".crt"),
              name == null ? null : dir.resolve(name + ".key"),
              caFile(),
              Duration.ofMillis(100));
      opened.add(files);
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A control plane serving {@code server}.crt, with the test tokens. */
  ControlPlaneSecurity security(String server) {
    server(server);
    try {
      return new ControlPlaneSecurity(
          files(server).serverCredentials(), AdminTokens.load(dir.resolve("tokens.csv")), null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * TLS trusting this CA, presenting {@code cert} (null: none), sending {@code token} (null: none).
   */
  ChannelCredentials credentials(String cert, String token) {
    ChannelCredentials tls = cert == null ? trustOnly() : files(cert).channelCredentials();
    return token == null ? tls : CompositeChannelCredentials.create(tls, new BearerToken(token));
  }

  private ChannelCredentials trustOnly() {
    try {
      return TlsChannelCredentials.newBuilder().trustManager(caFile().toFile()).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    opened.forEach(TlsFiles::close);
  }
}
