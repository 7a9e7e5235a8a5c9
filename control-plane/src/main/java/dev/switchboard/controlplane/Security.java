package dev.switchboard.controlplane;

import dev.switchboard.controlplane.auth.AdminTokens;
import dev.switchboard.tls.SecurityFlags;
import dev.switchboard.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The control plane's security flags turned into a {@link ControlPlaneSecurity}, with the file
 * reloaders it started (closed with the process). Refuses a half-secure start: either every TLS
 * flag, or an explicit {@code --insecure}.
 */
final class Security implements AutoCloseable {
  /** The flags' values, as given (null or blank: not given). */
  record Flags(
      String tlsCert,
      String tlsKey,
      String clientCa,
      String adminTokens,
      boolean insecure,
      Duration tlsReloadInterval,
      List<String> etcdEndpoints,
      String etcdCacert,
      String etcdCert,
      String etcdKey) {}

  private final ControlPlaneSecurity controlPlane;
  private final List<TlsFiles> files;

  private Security(ControlPlaneSecurity controlPlane, List<TlsFiles> files) {
    this.controlPlane = controlPlane;
    this.files = files;
  }

  ControlPlaneSecurity controlPlane() {
    return controlPlane;
  }

  static Security fromFlags(Flags flags) {
    Map<String, String> serving = new LinkedHashMap<>();
    serving.put("--tls-cert", flags.tlsCert());
    serving.put("--tls-key", flags.tlsKey());
    serving.put("--client-ca", flags.clientCa());
    serving.put("--admin-tokens", flags.adminTokens());
    SecurityFlags.requireAllOrInsecure(
        serving, flags.insecure(), "serve plaintext with no authentication");
    if (flags.tlsReloadInterval().isNegative() || flags.tlsReloadInterval().isZero()) {
      throw new IllegalArgumentException(
          "--tls-reload-interval: " + flags.tlsReloadInterval() + " (expected: > 0)");
    }
    List<TlsFiles> opened = new ArrayList<>();
    try {
      ControlPlaneSecurity security = ControlPlaneSecurity.insecure();
      if (!flags.insecure()) {
        AdminTokens tokens = AdminTokens.load(Path.of(flags.adminTokens()));
        TlsFiles server =
            open(
                opened,
                TlsFiles.load(
                    Path.of(flags.tlsCert()),
                    Path.of(flags.tlsKey()),
                    Path.of(flags.clientCa()),
                    flags.tlsReloadInterval()));
        security = new ControlPlaneSecurity(server.serverCredentials(), tokens, null);
      }
      TlsFiles etcd = etcdTls(flags);
      if (etcd != null) {
        security = security.withEtcdTls(open(opened, etcd).nettyClientContext());
      }
      return new Security(security, opened);
    } catch (IOException e) {
      opened.forEach(TlsFiles::close);
      throw new IllegalArgumentException(e.getMessage(), e);
    } catch (RuntimeException e) {
      opened.forEach(TlsFiles::close);
      throw e;
    }
  }

  /** TLS towards etcd: for https endpoints, with etcdctl's flag names; null for http ones. */
  private static TlsFiles etcdTls(Flags flags) throws IOException {
    boolean https = flags.etcdEndpoints().stream().anyMatch(e -> e.startsWith("https://"));
    boolean http = flags.etcdEndpoints().stream().anyMatch(e -> !e.startsWith("https://"));
    boolean anyFlag =
        !blank(flags.etcdCacert()) || !blank(flags.etcdCert()) || !blank(flags.etcdKey());
    if (https && http) {
      throw new IllegalArgumentException(
          "--etcd-endpoints: " + flags.etcdEndpoints() + " (expected: all https or all http)");
    }
    if (!https) {
      if (anyFlag) {
        throw new IllegalArgumentException(
            "--etcd-cacert/--etcd-cert/--etcd-key: given, but "
                + "--etcd-endpoints "
                + flags.etcdEndpoints()
                + " has no https URL");
      }
      return null;
    }
    if (blank(flags.etcdCert()) != blank(flags.etcdKey())) {
      throw new IllegalArgumentException(
          "--etcd-cert and --etcd-key: "
              + (blank(flags.etcdCert()) ? "--etcd-cert" : "--etcd-key")
              + " is missing (expected: both or neither)");
    }
    return TlsFiles.load(
        blank(flags.etcdCert()) ? null : Path.of(flags.etcdCert()),
        blank(flags.etcdKey()) ? null : Path.of(flags.etcdKey()),
        blank(flags.etcdCacert()) ? null : Path.of(flags.etcdCacert()),
        flags.tlsReloadInterval());
  }

  private static TlsFiles open(List<TlsFiles> opened, TlsFiles files) {
    opened.add(files);
    return files;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  @Override
  public void close() {
    files.forEach(TlsFiles::close);
  }
}
