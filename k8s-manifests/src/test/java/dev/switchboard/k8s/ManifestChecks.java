package dev.switchboard.k8s;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The cross-checks of a rendered manifest against the components: every arg is a flag the component
 * accepts with a value it accepts, every declared container port and every probe is a port the
 * process listens on (of the probe's kind), every file an arg names is inside a mounted volume,
 * every Service's target port exists on the pods it selects. Each problem names the manifest, the
 * object, the container and the flag or port.
 */
final class ManifestChecks {
  private static final List<String> PROBES =
      List.of("startupProbe", "readinessProbe", "livenessProbe");

  private ManifestChecks() {}

  static List<String> check(Manifest manifest) {
    List<String> problems = new ArrayList<>();
    for (Manifest.Container c : manifest.containers()) {
      Map<Integer, ComponentCli.PortKind> listening = listening(c, problems);
      if (listening != null) {
        checkPorts(c, listening, problems);
      }
      checkFiles(c, problems);
    }
    checkServices(manifest, problems);
    return problems;
  }

  /** The ports the container's process listens on, or null when its args are wrong. */
  private static Map<Integer, ComponentCli.PortKind> listening(
      Manifest.Container c, List<String> problems) {
    int before = problems.size();
    try {
      if (EtcdCli.isEtcd(c.image())) {
        List<String> command = ContainerArgs.expanded(c, problems);
        return problems.size() > before ? null : EtcdCli.check(command);
      }
      ComponentCli cli = ComponentCli.forImage(c.image()).orElse(null);
      if (cli == null) {
        problems.add(c.where() + ": image " + c.image() + " is no Switchboard component or etcd");
        return null;
      }
      if (c.container().containsKey("command")) {
        problems.add(
            c.where() + ": command overrides the image's entrypoint (expected: args only)");
      }
      List<String> args = ContainerArgs.args(c, problems);
      if (problems.size() > before) {
        return null;
      }
      List<String> mounts =
          Manifest.list(c.container(), "volumeMounts").stream()
              .map(m -> String.valueOf(m.get("mountPath")))
              .toList();
      java.nio.file.Path target = Processes.root().resolve("k8s-manifests/target");
      java.nio.file.Files.createDirectories(target);
      java.nio.file.Path files = java.nio.file.Files.createTempDirectory(target, "mounted-files");
      return cli.check(TlsFixture.materialize(args, mounts, files));
    } catch (IllegalArgumentException e) {
      problems.add(c.where() + ": " + e.getMessage());
      return null;
    } catch (Exception e) {
      throw new IllegalStateException(c.where() + ": " + e, e);
    }
  }

  private static void checkPorts(
      Manifest.Container c, Map<Integer, ComponentCli.PortKind> listening, List<String> problems) {
    Map<String, Integer> named = new LinkedHashMap<>();
    Set<Integer> declared = new HashSet<>();
    for (Map<String, Object> p : Manifest.list(c.container(), "ports")) {
      int port = ((Number) p.get("containerPort")).intValue();
      declared.add(port);
      if (p.get("name") != null) {
        named.put(String.valueOf(p.get("name")), port);
      }
      if (!listening.containsKey(port)) {
        problems.add(
            c.where()
                + ": containerPort "
                + port
                + " is not a port the process listens on "
                + "(it listens on "
                + listening.keySet()
                + ")");
      }
      if (p.containsKey("hostPort") && !Objects.equals(p.get("hostPort"), p.get("containerPort"))) {
        problems.add(
            c.where() + ": hostPort " + p.get("hostPort") + " differs from containerPort " + port);
      }
    }
    for (Integer port : listening.keySet()) {
      if (!declared.contains(port)) {
        problems.add(c.where() + ": listens on " + port + " but declares no containerPort for it");
      }
    }
    for (String probe : PROBES) {
      Map<String, Object> spec = Manifest.map(c.container(), probe);
      for (Map.Entry<String, ComponentCli.PortKind> kind :
          Map.of(
                  "grpc",
                  ComponentCli.PortKind.GRPC,
                  "httpGet",
                  ComponentCli.PortKind.HTTP,
                  "tcpSocket",
                  ComponentCli.PortKind.TCP)
              .entrySet()) {
        Map<String, Object> action = Manifest.map(spec, kind.getKey());
        if (action.isEmpty()) {
          continue;
        }
        Object ref = action.get("port");
        Integer port =
            ref instanceof Number n
                ? Integer.valueOf(n.intValue())
                : named.get(String.valueOf(ref));
        ComponentCli.PortKind actual = port == null ? null : listening.get(port);
        if (actual == null) {
          problems.add(
              c.where()
                  + ": "
                  + probe
                  + " "
                  + kind.getKey()
                  + " port "
                  + ref
                  + " is not a port the process listens on ("
                  + listening
                  + ")");
        } else if (kind.getValue() != ComponentCli.PortKind.TCP && actual != kind.getValue()) {
          problems.add(
              c.where()
                  + ": "
                  + probe
                  + " "
                  + kind.getKey()
                  + " port "
                  + ref
                  + " serves "
                  + actual
                  + ", not "
                  + kind.getValue());
        }
      }
    }
  }

  /** Every absolute path in the args must lie in one of the container's volume mounts. */
  private static void checkFiles(Manifest.Container c, List<String> problems) {
    List<String> mounts =
        Manifest.list(c.container(), "volumeMounts").stream()
            .map(m -> String.valueOf(m.get("mountPath")))
            .toList();
    List<String> args = Manifest.strings(c.container(), "args");
    for (String arg : args) {
      String value =
          arg.startsWith("--") && arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : arg;
      if (value.startsWith("/") && mounts.stream().noneMatch(m -> value.startsWith(m + "/"))) {
        problems.add(c.where() + ": " + arg + ": " + value + " is in no volume mount " + mounts);
      }
    }
  }

  private static void checkServices(Manifest manifest, List<String> problems) {
    for (Map<String, Object> svc : manifest.ofKind("Service")) {
      Map<String, Object> selector = Manifest.map(svc, "spec", "selector");
      List<Manifest.Container> selected =
          manifest.containers().stream()
              .filter(
                  c ->
                      !selector.isEmpty()
                          && Manifest.map(c.workload(), "spec", "template", "metadata", "labels")
                              .entrySet()
                              .containsAll(selector.entrySet()))
              .toList();
      String where = manifest.name() + ": Service/" + Manifest.name(svc);
      if (selected.isEmpty()) {
        problems.add(where + ": selector " + selector + " matches no workload of the manifest");
        continue;
      }
      for (Map<String, Object> port : Manifest.list(Manifest.map(svc, "spec"), "ports")) {
        Object target = port.getOrDefault("targetPort", port.get("port"));
        boolean found =
            selected.stream()
                .flatMap(c -> Manifest.list(c.container(), "ports").stream())
                .anyMatch(
                    p ->
                        String.valueOf(target).equals(String.valueOf(p.get("name")))
                            || String.valueOf(target)
                                .equals(String.valueOf(p.get("containerPort"))));
        if (!found) {
          problems.add(where + ": targetPort " + target + " is no port of the pods it selects");
        }
      }
    }
  }
}
