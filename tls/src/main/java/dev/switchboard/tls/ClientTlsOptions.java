package dev.switchboard.tls;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The flags with which a node agent or cloud-lb reaches the control plane (a picocli mixin): {@code
 * --tls-ca}, {@code --tls-cert}, {@code --tls-key}, or an explicit {@code --insecure}. Half a
 * configuration is refused, naming what is missing.
 */
public final class ClientTlsOptions {
  @Option(
      names = "--tls-ca",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_TLS_CA}",
      description =
          "CA bundle (PEM) that verifies the control plane's certificate (env SWITCHBOARD_TLS_CA).")
  String ca;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_TLS_CERT}",
      description =
          "This component's client certificate (PEM); reloaded when the file changes "
              + "(env SWITCHBOARD_TLS_CERT).")
  String cert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_TLS_KEY}",
      description = "Its private key (PEM, PKCS#8) (env SWITCHBOARD_TLS_KEY).")
  String key;

  @Option(
      names = "--insecure",
      defaultValue = "${env:SWITCHBOARD_INSECURE:-false}",
      description =
          "Connect in plaintext, without certificates. Without it --tls-ca, --tls-cert and "
              + "--tls-key are required (env SWITCHBOARD_INSECURE).")
  boolean insecure;

  /** What the flags say; a bad combination or an unreadable file is an IllegalArgumentException. */
  public ClientTls open() {
    Map<String, String> flags = new LinkedHashMap<>();
    flags.put("--tls-ca", ca);
    flags.put("--tls-cert", cert);
    flags.put("--tls-key", key);
    SecurityFlags.requireAllOrInsecure(
        flags, insecure, "connect in plaintext without certificates");
    if (insecure) {
      return new ClientTls(InsecureChannelCredentials.create(), null);
    }
    try {
      TlsFiles files =
          TlsFiles.load(Path.of(cert), Path.of(key), Path.of(ca), TlsFiles.DEFAULT_RELOAD_INTERVAL);
      return new ClientTls(files.channelCredentials(), files);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Credentials for channels to the control plane, and the reloader behind them (if any). */
  public record ClientTls(ChannelCredentials credentials, TlsFiles files) implements AutoCloseable {
    public boolean secure() {
      return files != null;
    }

    @Override
    public void close() {
      if (files != null) {
        files.close();
      }
    }
  }
}
