package dev.switchboard.sbctl.manifest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads {@code -f} arguments (files, directories of .yaml/.yml/.json, or {@code -} for stdin) into
 * {@link Manifest}s. Every problem in every document is collected, each naming the file, the
 * document and the field, so that the caller can refuse the whole set before applying any. A
 * well-formed object of a kind Switchboard does not serve (a Deployment next to its Service) is not
 * a problem but a skip, as kubectl reports a kind its server lacks and applies the rest.
 */
public final class ManifestReader {
  public static final String STDIN = "<stdin>";

  /** What was read: the valid objects, one line per problem, and one line per skipped object. */
  public record Result(List<Manifest> manifests, List<String> errors, List<String> skipped) {}

  /** The kinds sbctl applies, as the skip line names them. */
  private static final String SERVED = "v1 Service, v1 Pod, discovery.k8s.io/v1 EndpointSlice";

  private final List<Manifest> manifests = new ArrayList<>();
  private final List<String> errors = new ArrayList<>();
  private final List<String> skipped = new ArrayList<>();

  private ManifestReader() {}

  public static Result read(List<String> paths, boolean recursive, InputStream stdin) {
    ManifestReader reader = new ManifestReader();
    for (String path : paths) {
      if (path.equals("-")) {
        reader.parse(STDIN, readAll(stdin));
        continue;
      }
      Path p = Path.of(path);
      if (Files.isDirectory(p)) {
        for (Path file : listDirectory(p, recursive)) {
          reader.parseFile(file.toString(), file);
        }
      } else if (Files.isRegularFile(p)) {
        reader.parseFile(path, p);
      } else {
        reader.errors.add("the path \"" + path + "\" does not exist");
      }
    }
    return reader.result();
  }

  /** Parses one YAML (or JSON) text holding any number of documents. */
  public static Result parseText(String source, String text) {
    ManifestReader reader = new ManifestReader();
    reader.parse(source, text);
    return reader.result();
  }

  private Result result() {
    return new Result(List.copyOf(manifests), List.copyOf(errors), List.copyOf(skipped));
  }

  private void parseFile(String source, Path file) {
    try {
      parse(source, Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      errors.add(source + ": " + e.getMessage());
    }
  }

  private void parse(String source, String text) {
    Load load =
        new Load(
            LoadSettings.builder()
                .setLabel(source)
                .setSchema(new CoreSchema())
                .setAllowDuplicateKeys(false)
                .build());
    Iterator<Object> documents = load.loadAllFromString(text).iterator();
    int index = 0;
    while (true) {
      Object document;
      try {
        if (!documents.hasNext()) {
          return;
        }
        document = documents.next();
      } catch (YamlEngineException e) {
        errors.add(syntaxError(source, index + 1, e));
        return; // the parser cannot resynchronise after a syntax error
      }
      index++;
      if (document != null) {
        document(source, index, null, document);
      }
    }
  }

  private static String syntaxError(String source, int document, YamlEngineException e) {
    StringBuilder b = new StringBuilder(source).append(": document ").append(document);
    if (e instanceof MarkedYamlEngineException marked) {
      marked
          .getProblemMark()
          .ifPresent(
              m ->
                  b.append(": line ")
                      .append(m.getLine() + 1)
                      .append(", column ")
                      .append(m.getColumn() + 1));
      b.append(": YAML syntax error: ");
      if (marked.getContext() != null && !marked.getContext().isEmpty()) {
        b.append(marked.getContext()).append(": ");
      }
      b.append(marked.getProblem());
    } else {
      b.append(": YAML syntax error: ").append(e.getMessage());
    }
    return b.toString();
  }

  private void document(String source, int index, String item, Object document) {
    String name = Metadata.peekName(document);
    if (!(document instanceof Map<?, ?> map)) {
      errors.add(
          Manifest.where(source, index, item, null, null)
              + ": expected a Kubernetes object (a mapping with apiVersion and kind), got "
              + Fields.describe(document));
      return;
    }
    Object kind = map.get("kind");
    Object apiVersion = map.get("apiVersion");
    if (!(kind instanceof String k) || k.isEmpty()) {
      errors.add(Manifest.where(source, index, item, null, null) + ": kind: required");
      return;
    }
    String expected =
        switch (k) {
          case "Service", "Pod", "List" -> "v1";
          case "EndpointSlice" -> "discovery.k8s.io/v1";
          default -> null;
        };
    String where = Manifest.where(source, index, item, k, name);
    if (expected == null) {
      if (!(apiVersion instanceof String v) || v.isEmpty()) {
        errors.add(where + ": apiVersion: required");
      } else {
        skipped.add(notServed(k, name));
      }
      return;
    }
    if (!expected.equals(apiVersion)) {
      errors.add(
          where
              + ": apiVersion: "
              + (apiVersion == null
                  ? "required"
                  : "unsupported value " + Fields.describe(apiVersion))
              + " ("
              + k
              + " is "
              + expected
              + ")");
      return;
    }
    List<String> problems = new ArrayList<>();
    Fields root = Fields.of(map, "", problems);
    root.ignore("apiVersion", "kind");
    if (k.equals("List")) {
      if (item != null) {
        errors.add(where + ": a List inside a List is not supported");
        return;
      }
      List<Fields> items = root.objects("items");
      root.ignore("metadata");
      root.finish();
      if (problems.isEmpty()) {
        for (int i = 0; i < items.size(); i++) {
          document(source, index, "items[" + i + "]", ((List<?>) map.get("items")).get(i));
        }
      }
    } else {
      Manifest manifest =
          switch (k) {
            case "Service" ->
                new Manifest(source, index, item, ServiceManifest.read(root), null, null);
            case "Pod" -> new Manifest(source, index, item, null, PodManifest.read(root), null);
            default ->
                new Manifest(source, index, item, null, null, EndpointSliceManifest.read(root));
          };
      root.finish();
      if (problems.isEmpty()) {
        manifests.add(manifest);
      }
    }
    for (String problem : problems) {
      errors.add(where + ": " + problem);
    }
  }

  /**
   * The skip line names the object by kind and name only (not file and document, as problems do):
   * it is not something to fix in the file. A hint follows when a served kind does the job.
   */
  private static String notServed(String kind, String name) {
    String hint =
        switch (kind) {
          case "Node" -> ": nodes are registered by their node agents, not applied";
          case "Endpoints" -> ": use a discovery.k8s.io/v1 EndpointSlice instead";
          default -> "";
        };
    return kind
        + (name == null || name.isEmpty() ? "" : " \"" + name + "\"")
        + ": not served by Switchboard (it applies "
        + SERVED
        + ")"
        + hint;
  }

  private static List<Path> listDirectory(Path dir, boolean recursive) {
    try (Stream<Path> files = recursive ? Files.walk(dir) : Files.list(dir)) {
      return files
          .filter(Files::isRegularFile)
          .filter(f -> f.toString().matches(".*\\.(yaml|yml|json)$"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readAll(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
