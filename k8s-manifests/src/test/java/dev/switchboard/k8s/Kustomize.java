package dev.switchboard.k8s;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** {@code kubectl kustomize}, as a user would build the manifests, parsed into plain maps. */
final class Kustomize {
  static final String INSTALL =
      "the tests need kubectl >= 1.21 (its built-in kustomize v4+) on "
          + "the PATH, e.g. the kubectl package of the Kubernetes apt repository; Debian's own "
          + "kubernetes-client (1.20, kustomize 2) cannot build these kustomizations";

  /** The kustomizations a user applies: their paths under k8s-manifests/. */
  static final List<String> TARGETS = List.of("base", "overlays/dev");

  private Kustomize() {}

  /** Every object {@code kubectl kustomize k8s-manifests/<target>} renders. */
  static Manifest render(String target) throws IOException, InterruptedException {
    Path dir = Processes.root().resolve("k8s-manifests").resolve(target);
    Processes.Result r =
        Processes.run(
            List.of("kubectl", "kustomize", dir.toString()),
            Processes.root(),
            Duration.ofSeconds(60),
            INSTALL);
    if (r.exitCode() != 0) {
      throw new AssertionError(
          "kubectl kustomize " + dir + " failed (exit " + r.exitCode() + "): " + r.stderr());
    }
    return new Manifest(target, parse(r.stdout()));
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> parse(String yaml) {
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(yaml)) {
      if (doc != null) {
        objects.add((Map<String, Object>) doc);
      }
    }
    return objects;
  }
}
