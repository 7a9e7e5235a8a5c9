package dev.switchboard.sbctl.commands;

import dev.switchboard.sbctl.AdminClient;
import dev.switchboard.sbctl.ClientOptions;
import dev.switchboard.sbctl.ResourceType;
import dev.switchboard.sbctl.Sbctl;
import dev.switchboard.sbctl.ServerErrors;
import dev.switchboard.sbctl.Terminal;
import dev.switchboard.sbctl.output.Table;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.WatchEvent;
import dev.switchboard.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sbctl get}: tables like kubectl's, or Kubernetes-shaped YAML/JSON; -w follows changes. */
@Command(
    name = "get",
    sortOptions = false,
    description = "Lists services (svc), pods (po), endpoints (ep) or nodes (no).")
public final class GetCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;

  @Mixin ClientOptions client;

  @Parameters(index = "0", paramLabel = "TYPE", description = "svc, pods, endpoints or nodes.")
  String type;

  @Parameters(index = "1..*", paramLabel = "NAME", description = "Only these objects.")
  List<String> names = new ArrayList<>();

  @Option(
      names = {"-A", "--all-namespaces"},
      description = "Every namespace.")
  boolean allNamespaces;

  @Option(
      names = {"-l", "--selector"},
      paramLabel = "SELECTOR",
      description = "Label selector, e.g. app=web,tier!=db,env in (a,b).")
  String selector;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      description = "wide, yaml, json or name.")
  String output;

  @Option(
      names = {"-w", "--watch"},
      description = "After listing, print every change until interrupted.")
  boolean watch;

  @Option(
      names = "--output-watch-events",
      description = "With -w: add an EVENT column (ADDED, MODIFIED, DELETED).")
  boolean watchEvents;

  @Option(names = "--no-headers", description = "Print tables without their header.")
  boolean noHeaders;

  @Override
  public Integer call() {
    Terminal t = root.terminal();
    ResourceType resource = ResourceType.parse(type);
    Printer printer = new Printer(resource, output, allNamespaces, watch && watchEvents, t.clock());
    String namespace = allNamespaces ? "" : client.namespace();
    int exit = 0;
    try (AdminClient admin = client.connect(t)) {
      Fetcher fetcher = new Fetcher(admin);
      List<Item> items = new ArrayList<>();
      if (names.isEmpty()) {
        items.addAll(fetcher.list(resource, namespace, selector));
      } else {
        for (String name : names) {
          try {
            items.add(fetcher.get(resource, client.namespace(), name));
          } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
              throw e;
            }
            t.err().println(ServerErrors.line(e, admin.server(), ""));
            exit = 1;
          }
        }
      }
      Table table = printer.table();
      if (printer.tabular()) {
        items.forEach(i -> table.add(printer.row(i, null)));
        if (!items.isEmpty()) {
          table.print(t.out(), noHeaders);
        } else if (names.isEmpty() && !watch) {
          t.err()
              .println(
                  allNamespaces || resource == ResourceType.NODES
                      ? "No resources found"
                      : "No resources found in " + namespace + " namespace.");
        }
      } else if (!items.isEmpty() || names.isEmpty()) {
        t.out().print(printer.manifests(items, !names.isEmpty() && names.size() == 1));
      }
      t.out().flush();
      if (watch) {
        watch(admin, fetcher, resource, namespace, printer, table, items);
      }
    }
    return exit;
  }

  /**
   * Follows Admin.Watch from the current state. The server first replays the current objects; those
   * already printed by the listing are skipped. Ends when the thread is interrupted.
   */
  private void watch(
      AdminClient admin,
      Fetcher fetcher,
      ResourceType resource,
      String namespace,
      Printer printer,
      Table table,
      List<Item> listed) {
    Terminal t = root.terminal();
    Map<String, Object> printed = new HashMap<>();
    listed.forEach(i -> printed.put(i.key(), i.object()));
    boolean tableShown = !listed.isEmpty();
    boolean first = listed.isEmpty();
    WatchRequest request =
        WatchRequest.newBuilder()
            .setKind(kind(resource))
            .setNamespace(namespace)
            .setLabelSelector(selector == null ? "" : selector)
            .build();
    try {
      Iterator<WatchEvent> events = admin.streaming().watch(request);
      while (events.hasNext()) {
        WatchEvent event = events.next();
        if (event.getType() == WatchEvent.Type.BOOKMARK) {
          continue; // the watch is registered; nothing to print
        }
        Item item = fetcher.item(objectOf(event));
        if (!names.isEmpty() && !names.contains(item.name())) {
          continue;
        }
        Object before = printed.remove(item.key());
        if (event.getType() == WatchEvent.Type.ADDED && item.object().equals(before)) {
          continue; // already in the listing
        }
        if (printer.tabular()) {
          List<String> row = printer.row(item, event.getType().name());
          if (!tableShown) { // nothing was listed: lay the table out on its first row
            table.add(row);
            if (!noHeaders) {
              t.out().print(table.format(table.header()));
            }
            tableShown = true;
          }
          t.out().print(table.format(row));
        } else {
          if (!first && printer.format() != Printer.Format.NAME) {
            t.out().println(printer.format() == Printer.Format.YAML ? "---" : "");
          }
          t.out().print(printer.manifests(List.of(item), true));
          first = false;
        }
        t.out().flush();
      }
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.CANCELLED) {
        throw e;
      }
      Thread.currentThread().interrupt(); // cancelled by an interrupt: keep the flag, end quietly
    }
  }

  private static com.google.protobuf.Message objectOf(WatchEvent e) {
    return switch (e.getObjectCase()) {
      case SERVICE -> e.getService();
      case POD -> e.getPod();
      case ENDPOINTS -> e.getEndpoints();
      case NODE -> e.getNode();
      case OBJECT_NOT_SET ->
          throw new StatusRuntimeException(
              Status.INTERNAL.withDescription("watch event without an object"));
    };
  }

  private static Kind kind(ResourceType type) {
    return switch (type) {
      case SERVICES -> Kind.SERVICE;
      case PODS -> Kind.POD;
      case ENDPOINTS -> Kind.ENDPOINTS;
      case NODES -> Kind.NODE;
    };
  }
}
