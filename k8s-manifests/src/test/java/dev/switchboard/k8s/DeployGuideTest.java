package dev.switchboard.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.controlplane.auth.AdminTokens;
import dev.switchboard.tls.Identity;
import dev.switchboard.tls.Pem;
import dev.switchboard.tls.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/deploy.md's certificate recipe, run as written (bash, openssl), and its results loaded by
 * the components' own TLS code: each Secret's certificate and key pair up under its CA, node and
 * load-balancer certificates name who the control plane expects, the token file parses, and each
 * {@code kubectl create secret} line is one kubectl accepts.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeployGuideTest {
  private static final Pattern SH = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL);
  private static final Pattern SECRET =
      Pattern.compile(
          "kubectl -n switchboard create secret generic (\\S+)((?: --from-file=[^=\\s]+=\\S+)+)");

  @TempDir Path dir;

  @Test
  void theCertificateRecipeMakesWhatTheComponentsLoad() throws Exception {
    String guide = Files.readString(Processes.root().resolve("docs/deploy.md"));
    List<String> blocks = new ArrayList<>();
    Matcher sh = SH.matcher(guide);
    while (sh.find()) {
      blocks.add(sh.group(1));
    }
    String recipe =
        blocks.stream()
            .filter(b -> b.contains("ca etcd-ca"))
            .findFirst()
            .orElseThrow()
            .replace("mkdir pki && cd pki", "");
    String nodeLine =
        blocks.stream()
            .filter(b -> b.contains("for node in"))
            .findFirst()
            .orElseThrow()
            .lines()
            .map(String::trim)
            .filter(l -> l.startsWith("issue "))
            .findFirst()
            .orElseThrow()
            .replace("$node", "worker-1");
    Processes.Result r =
        Processes.run(
            List.of("bash", "-euo", "pipefail", "-c", recipe + "\n" + nodeLine + "\n"),
            dir,
            Duration.ofSeconds(60),
            "the guide's recipe needs bash and openssl (Debian: apt-get install openssl)");
    assertThat(r.exitCode()).as("the recipe of docs/deploy.md: %s", r.stderr()).isZero();

    Map<String, Map<String, Path>> secrets = new LinkedHashMap<>();
    Matcher m = SECRET.matcher(guide);
    while (m.find()) {
      Map<String, Path> files = new LinkedHashMap<>();
      for (String from : m.group(2).trim().split(" ")) {
        String[] kv = from.substring("--from-file=".length()).split("=", 2);
        files.put(kv[0], dir.resolve(kv[1]));
      }
      secrets.put(m.group(1), files);
      List<String> dryRun =
          new ArrayList<>(
              List.of(
                  "kubectl",
                  "-n",
                  "switchboard",
                  "create",
                  "secret",
                  "generic",
                  m.group(1),
                  "--dry-run=client",
                  "-o",
                  "yaml"));
      dryRun.addAll(List.of(m.group(2).trim().split(" ")));
      Processes.Result k = Processes.run(dryRun, dir, Duration.ofSeconds(30), Kustomize.INSTALL);
      assertThat(k.exitCode()).as("%s: %s", m.group(0), k.stderr()).isZero();
    }
    assertThat(secrets).hasSize(6);

    for (Map.Entry<String, Map<String, Path>> secret : secrets.entrySet()) {
      Map<String, Path> files = secret.getValue();
      if (files.containsKey("tls.crt")) {
        TlsFiles.load(
                files.get("tls.crt"),
                files.get("tls.key"),
                files.get("ca.crt"),
                Duration.ofSeconds(10))
            .close();
      }
    }
    assertThat(AdminTokens.load(secrets.get("control-plane-admin-tokens").get("tokens")))
        .isNotNull();
    assertThat(identity(secrets.get("cloud-lb-tls").get("tls.crt")))
        .isEqualTo(Identity.loadBalancer("cloud-lb"));
    // The node's files, as the DaemonSet reads them from the host: ca.crt, node.crt, node.key.
    TlsFiles.load(
            dir.resolve("node-worker-1.crt"),
            dir.resolve("node-worker-1.key"),
            dir.resolve("switchboard-ca.crt"),
            Duration.ofSeconds(10))
        .close();
    assertThat(identity(dir.resolve("node-worker-1.crt"))).isEqualTo(Identity.node("worker-1"));
  }

  private static Identity identity(Path cert) throws Exception {
    return Identity.of(Pem.readCertificates(cert).get(0)).orElseThrow();
  }
}
