package dev.switchboard.k8s;

import dev.switchboard.tls.CertificateAuthority;
import dev.switchboard.tls.IssuedCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;

/**
 * Real files where a container's args expect its mounted certificates, keys and tokens, so that the
 * components' own security set-up (which loads them) can run on the manifest's args: each path
 * inside a volume mount is moved under a temporary root, and the file is made there by its name
 * ({@code ca.crt}: a CA; {@code X.crt} and {@code X.key}: a certificate and its key; {@code
 * tokens}: an Admin token file; {@code token}: one token).
 */
final class TlsFixture {
  private static CertificateAuthority ca;

  private TlsFixture() {}

  /** The args with every mounted path under {@code root}, and the files made there. */
  static List<String> materialize(List<String> args, List<String> mounts, Path root) {
    Map<Path, IssuedCertificate> pairs = new HashMap<>();
    List<String> out = new ArrayList<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      String value = arg.startsWith("--") && eq > 0 ? arg.substring(eq + 1) : arg;
      if (!value.startsWith("/") || mounts.stream().noneMatch(m -> value.startsWith(m + "/"))) {
        out.add(arg);
        continue;
      }
      Path file = root.resolve(value.substring(1));
      make(file, pairs);
      out.add(arg.substring(0, arg.length() - value.length()) + file);
    }
    return out;
  }

  private static void make(Path file, Map<Path, IssuedCertificate> pairs) {
    try {
      Files.createDirectories(file.getParent());
      String name = file.getFileName().toString();
      if (name.equals("ca.crt")) {
        authority().write(file, file.resolveSibling("ca.key.unused"));
      } else if (name.endsWith(".crt") || name.endsWith(".key")) {
        String base = name.substring(0, name.length() - 4);
        IssuedCertificate pair =
            pairs.computeIfAbsent(
                file.resolveSibling(base),
                b ->
                    authority()
                        .issueClient(
                            new X500Principal("CN=system:node:node-1, O=switchboard:nodes"),
                            Duration.ofDays(1)));
        pair.write(file.resolveSibling(base + ".crt"), file.resolveSibling(base + ".key"));
      } else if (name.equals("tokens")) {
        Files.writeString(
            file, "0123456789abcdef0123456789abcdef,admin,editor\n", StandardCharsets.UTF_8);
      } else {
        Files.writeString(file, "0123456789abcdef0123456789abcdef\n", StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized CertificateAuthority authority() {
    if (ca == null) {
      ca = CertificateAuthority.create("k8s-manifests-test-ca", Duration.ofDays(1));
    }
    return ca;
  }
}
