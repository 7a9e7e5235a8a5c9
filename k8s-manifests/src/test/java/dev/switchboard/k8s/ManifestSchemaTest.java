package dev.switchboard.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rendered manifests against the official Kubernetes schemas: the npm package {@code
 * kubernetes-models} (pinned by src/test/node/package-lock.json), installed into target/ with
 * {@code npm ci} on the first run, run by {@code src/test/node/validate.cjs}, which also reports
 * fields the schemas do not have.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ManifestSchemaTest {
  private static final String INSTALL =
      "the schema check needs Node.js 20 and npm " + "(Debian: apt-get install nodejs npm)";
  private static Path work;

  @BeforeAll
  static void installValidator() throws Exception {
    Path node = Processes.root().resolve("k8s-manifests/src/test/node");
    work = Processes.root().resolve("k8s-manifests/target/schema-validation");
    Files.createDirectories(work);
    for (String f : List.of("package.json", "package-lock.json", "validate.cjs")) {
      Files.copy(
          node.resolve(f), work.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    if (!Files.exists(work.resolve("node_modules/kubernetes-models/package.json"))) {
      Processes.Result r =
          Processes.run(
              List.of("npm", "ci", "--no-audit", "--no-fund"),
              work,
              Duration.ofSeconds(240),
              INSTALL);
      assertThat(r.exitCode()).as("npm ci in %s: %s", work, r.stderr()).isZero();
    }
  }

  @Test
  void everyRenderedObjectIsValidAndHasNoUnknownField() throws Exception {
    for (String target : Kustomize.TARGETS) {
      Manifest m = Kustomize.render(target);
      Processes.Result r = validate(m.objects());
      assertThat(r.exitCode()).as("%s:%n%s%s", target, r.stdout(), r.stderr()).isZero();
      assertThat(r.stdout()).contains("validated " + m.objects().size() + " objects, 0 problems");
    }
  }

  @Test
  void aWrongTypeAndAMisspelledFieldAreReported() throws Exception {
    Manifest broken = Kustomize.render("base").copy();
    Map<String, Object> spec = Manifest.map(broken.get("Deployment", "control-plane"), "spec");
    spec.put("replicas", "two");
    Map<String, Object> pod =
        Manifest.map(broken.get("DaemonSet", "node-agent"), "spec", "template", "spec");
    pod.put("hostNetwrk", true);

    Processes.Result r = validate(broken.objects());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stdout())
        .contains("Deployment/control-plane: /spec/replicas: type")
        .contains("DaemonSet/node-agent: .spec.template.spec.hostNetwrk: unknown field");
  }

  private static Processes.Result validate(List<Map<String, Object>> objects) throws Exception {
    Path json = Files.createTempFile(work, "objects", ".json");
    try {
      Files.writeString(json, Json.write(objects), StandardCharsets.UTF_8);
      return Processes.run(
          List.of("node", "validate.cjs", json.toString()), work, Duration.ofSeconds(60), INSTALL);
    } finally {
      Files.deleteIfExists(json);
    }
  }
}
