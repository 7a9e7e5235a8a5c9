package dev.switchboard.sbctl.commands;

import dev.switchboard.sbctl.CommandFailure;
import dev.switchboard.sbctl.ResourceType;
import dev.switchboard.sbctl.manifest.EndpointSliceManifest;
import dev.switchboard.sbctl.manifest.NodeManifest;
import dev.switchboard.sbctl.manifest.PodManifest;
import dev.switchboard.sbctl.manifest.ServiceManifest;
import dev.switchboard.sbctl.output.JsonWriter;
import dev.switchboard.sbctl.output.Rows;
import dev.switchboard.sbctl.output.Table;
import dev.switchboard.sbctl.output.YamlWriter;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How {@code get} prints items: a table (plain or wide), YAML, JSON or names. */
final class Printer {
  enum Format {
    TABLE,
    WIDE,
    YAML,
    JSON,
    NAME
  }

  private final ResourceType type;
  private final Format format;
  private final boolean allNamespaces;
  private final boolean watchEvents;
  private final Clock clock;

  Printer(
      ResourceType type, String output, boolean allNamespaces, boolean watchEvents, Clock clock) {
    this.type = type;
    this.format =
        switch (output == null ? "" : output) {
          case "" -> Format.TABLE;
          case "wide" -> Format.WIDE;
          case "yaml" -> Format.YAML;
          case "json" -> Format.JSON;
          case "name" -> Format.NAME;
          default ->
              throw new CommandFailure(
                  "error: unable to match a printer suitable for the "
                      + "output format \""
                      + output
                      + "\", allowed formats are: json,name,wide,yaml");
        };
    this.allNamespaces = allNamespaces && type != ResourceType.NODES;
    this.watchEvents = watchEvents;
    this.clock = clock;
  }

  Format format() {
    return format;
  }

  boolean tabular() {
    return format == Format.TABLE || format == Format.WIDE;
  }

  Table table() {
    List<String> header = new ArrayList<>();
    if (watchEvents) {
      header.add("EVENT");
    }
    if (allNamespaces) {
      header.add("NAMESPACE");
    }
    header.addAll(
        switch (type) {
          case SERVICES -> Rows.serviceHeader(format == Format.WIDE);
          case PODS -> Rows.podHeader();
          case ENDPOINTS -> Rows.endpointsHeader();
          case NODES -> Rows.nodeHeader();
        });
    return new Table(header);
  }

  /**
   * @param event the watch event type for --output-watch-events, else null
   */
  List<String> row(Item item, String event) {
    long now = clock.millis();
    List<String> row = new ArrayList<>();
    if (watchEvents) {
      row.add(event == null ? "ADDED" : event);
    }
    if (allNamespaces) {
      row.add(item.namespace());
    }
    row.addAll(
        switch (type) {
          case SERVICES -> Rows.service((Service) item.object(), now, format == Format.WIDE);
          case PODS -> Rows.pod((Pod) item.object(), now);
          case ENDPOINTS -> Rows.endpoints((Endpoints) item.object(), item.createdMillis(), now);
          case NODES -> Rows.node((Node) item.object(), now);
        });
    return row;
  }

  /** The item as Kubernetes objects (endpoints may be several EndpointSlices). */
  List<Map<String, Object>> objects(Item item) {
    return switch (type) {
      case SERVICES -> List.of(ServiceManifest.write((Service) item.object()));
      case PODS -> List.of(PodManifest.write((Pod) item.object(), clock));
      case NODES -> List.of(NodeManifest.write((Node) item.object()));
      case ENDPOINTS ->
          EndpointSliceManifest.write(
              (Endpoints) item.object(), item.derived(), item.createdMillis());
    };
  }

  /**
   * YAML, JSON or names of the items: one object prints as itself, several as a kubectl {@code v1
   * List}, which {@code sbctl apply} reads back.
   */
  String manifests(List<Item> items, boolean single) {
    List<Map<String, Object>> objects = new ArrayList<>();
    items.forEach(i -> objects.addAll(objects(i)));
    if (format == Format.NAME) {
      StringBuilder b = new StringBuilder();
      for (Map<String, Object> o : objects) {
        String kind = (String) o.get("kind");
        b.append(
                kind.equals("EndpointSlice")
                    ? "endpointslice.discovery.k8s.io"
                    : kind.toLowerCase(java.util.Locale.ROOT))
            .append('/')
            .append(((Map<?, ?>) o.get("metadata")).get("name"))
            .append('\n');
      }
      return b.toString();
    }
    Map<String, Object> root;
    if (single && objects.size() == 1) {
      root = objects.get(0);
    } else {
      root = new LinkedHashMap<>();
      root.put("apiVersion", "v1");
      root.put("items", objects);
      root.put("kind", "List");
      root.put("metadata", Map.of("resourceVersion", ""));
    }
    return format == Format.JSON ? JsonWriter.write(root) : YamlWriter.write(root);
  }
}
