package dev.switchboard.launcher;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the external programs the launcher needs, or says exactly what to install. */
final class Binaries {
  private Binaries() {}

  static String etcd() {
    String override = System.getenv("ETCD_BINARY");
    if (override != null && !override.isBlank()) {
      return override;
    }
    for (String dir :
        (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "etcd"))) {
        return Path.of(dir, "etcd").toString();
      }
    }
    throw new LaunchException(
        "etcd not found: install it with 'sudo apt-get install etcd-server'"
            + " (bin/run-local does this itself when run as root), or set ETCD_BINARY");
  }
}
