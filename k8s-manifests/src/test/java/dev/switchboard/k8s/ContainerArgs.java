package dev.switchboard.k8s;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container's command and args as the kubelet hands them to the process: {@code $(VAR)} replaced
 * from the container's env, env values taken from their ConfigMaps, and the Downward API fields
 * given example values of the right shape.
 */
final class ContainerArgs {
  private static final Pattern REF = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_.-]*)\\)");

  /** Example values of the Downward API fields the manifests use. */
  private static final Map<String, String> FIELD_EXAMPLES =
      Map.of(
          "spec.nodeName", "node-1",
          "status.hostIP", "192.0.2.10",
          "status.podIP", "10.244.1.7",
          "metadata.namespace", "switchboard");

  private ContainerArgs() {}

  /** The expanded args (command first, when there is one); problems go to {@code problems}. */
  static List<String> expanded(Manifest.Container c, List<String> problems) {
    Map<String, String> env = env(c, problems);
    List<String> out = new ArrayList<>();
    for (String key : List.of("command", "args")) {
      for (String arg : Manifest.strings(c.container(), key)) {
        out.add(expand(arg, env, c.where() + " " + key, problems));
      }
    }
    return out;
  }

  /** The args alone, expanded. */
  static List<String> args(Manifest.Container c, List<String> problems) {
    Map<String, String> env = env(c, problems);
    List<String> out = new ArrayList<>();
    for (String arg : Manifest.strings(c.container(), "args")) {
      out.add(expand(arg, env, c.where() + " args", problems));
    }
    return out;
  }

  private static Map<String, String> env(Manifest.Container c, List<String> problems) {
    Map<String, String> env = new LinkedHashMap<>();
    for (Map<String, Object> e : Manifest.list(c.container(), "env")) {
      String name = String.valueOf(e.get("name"));
      String where = c.where() + " env " + name;
      if (e.containsKey("value")) {
        env.put(name, expand(String.valueOf(e.get("value")), env, where, problems));
        continue;
      }
      Map<String, Object> field = Manifest.map(e, "valueFrom", "fieldRef");
      Map<String, Object> cm = Manifest.map(e, "valueFrom", "configMapKeyRef");
      if (!field.isEmpty()) {
        String path = String.valueOf(field.get("fieldPath"));
        String value =
            path.equals("metadata.name")
                ? podName(c)
                : path.equals("metadata.namespace")
                    ? String.valueOf(Manifest.map(c.workload(), "metadata").get("namespace"))
                    : FIELD_EXAMPLES.get(path);
        if (value == null) {
          problems.add(
              where
                  + ": fieldRef "
                  + path
                  + " (expected: one of "
                  + FIELD_EXAMPLES.keySet()
                  + " or metadata.name)");
        } else {
          env.put(name, value);
        }
      } else if (!cm.isEmpty()) {
        String map = String.valueOf(cm.get("name"));
        String key = String.valueOf(cm.get("key"));
        c.manifest()
            .configMapValue(map, key)
            .ifPresentOrElse(
                v -> env.put(name, v),
                () ->
                    problems.add(
                        where
                            + ": configMapKeyRef "
                            + map
                            + "/"
                            + key
                            + ": no such ConfigMap key in the manifest"));
      } else {
        problems.add(where + ": no value (expected: value, fieldRef or configMapKeyRef)");
      }
    }
    return env;
  }

  private static String podName(Manifest.Container c) {
    String name = Manifest.name(c.workload());
    return "StatefulSet".equals(c.workload().get("kind")) ? name + "-0" : name + "-5d8f7c9b4-x2x7q";
  }

  /** Kubernetes' rules: $(VAR) from env, $$ is a literal $, an unknown reference stays as is. */
  private static String expand(
      String text, Map<String, String> env, String where, List<String> problems) {
    Matcher m = REF.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group(1) == null) {
        replacement = "$";
      } else if (env.containsKey(m.group(1))) {
        replacement = env.get(m.group(1));
      } else {
        problems.add(where + ": $(" + m.group(1) + ") is not defined in the container's env");
        replacement = m.group();
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }
}
