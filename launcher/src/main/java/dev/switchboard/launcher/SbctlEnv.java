package dev.switchboard.launcher;

import dev.switchboard.tls.Pem;
import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code <state>/sbctl.env}: what {@code bin/sbctl} needs to reach the local cluster with no flags
 * (server, CA, editor token; or plaintext), read by bin/sbctl when the user set none of these
 * variables. Owner-readable only: it holds the editor token.
 */
final class SbctlEnv {
  static final String FILE = "sbctl.env";

  private SbctlEnv() {}

  static void write(Path stateDir, String server, LocalPki pki) throws IOException {
    StringBuilder b =
        new StringBuilder(
            "# Written by bin/run-local; bin/sbctl reads it when no"
                + " SWITCHBOARD_SERVER/_TOKEN/_CA/_INSECURE is set.\n");
    b.append("SWITCHBOARD_SERVER=").append(server).append('\n');
    if (pki == null) {
      b.append("SWITCHBOARD_INSECURE=true\n");
    } else {
      b.append("SWITCHBOARD_CA=").append(pki.caCert().toAbsolutePath()).append('\n');
      b.append("SWITCHBOARD_TOKEN=").append(pki.editorToken()).append('\n');
    }
    Pem.write(stateDir.resolve(FILE), b.toString(), true);
  }
}
