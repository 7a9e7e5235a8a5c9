package dev.switchboard.sbctl.commands;

import dev.switchboard.sbctl.AdminClient;
import dev.switchboard.sbctl.ClientOptions;
import dev.switchboard.sbctl.CommandFailure;
import dev.switchboard.sbctl.ResourceType;
import dev.switchboard.sbctl.Sbctl;
import dev.switchboard.sbctl.ServerErrors;
import dev.switchboard.sbctl.Terminal;
import dev.switchboard.sbctl.manifest.Manifest;
import dev.switchboard.sbctl.manifest.ManifestReader;
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.SetEndpointsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sbctl delete -f FILE} or {@code sbctl delete TYPE NAME...}. Deleting an EndpointSlice
 * clears its selector-less service's endpoints; deleting a service deletes its endpoints too.
 */
@Command(
    name = "delete",
    sortOptions = false,
    description = "Deletes services, pods, or the endpoints of selector-less services.")
public final class DeleteCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;

  @Mixin ClientOptions client;

  @Option(
      names = {"-f", "--filename"},
      paramLabel = "FILE|DIR|-",
      description = "Delete the objects these manifests describe.")
  List<String> files = new ArrayList<>();

  @Option(
      names = {"-R", "--recursive"},
      description = "Read directories recursively.")
  boolean recursive;

  @Option(
      names = "--ignore-not-found",
      description = "An object that does not exist is not an error.")
  boolean ignoreNotFound;

  @Parameters(paramLabel = "TYPE NAME", description = "svc, pod or endpoints, then names.")
  List<String> args = new ArrayList<>();

  private final Set<String> deletedServices = new HashSet<>();

  @Override
  public Integer call() {
    Terminal t = root.terminal();
    List<Target> targets = files.isEmpty() ? fromArgs() : fromFiles(t);
    int exit = 0;
    try (AdminClient admin = client.connect(t)) {
      for (Target target : targets) {
        try {
          delete(admin, target);
          t.out().println(target.display + " \"" + target.name + "\" deleted");
          t.out().flush();
        } catch (StatusRuntimeException e) {
          if (ServerErrors.isConnectionFailure(e)) {
            throw e;
          }
          if (e.getStatus().getCode() == Status.Code.NOT_FOUND && ignoreNotFound) {
            continue;
          }
          t.err().println(ServerErrors.line(e, admin.server(), ""));
          exit = 1;
        }
      }
    }
    return exit;
  }

  /** What to delete: kind, namespace, name; for endpoints the service. */
  private record Target(
      ResourceType type, String display, String namespace, String name, String service) {}

  private void delete(AdminClient admin, Target target) {
    switch (target.type) {
      case SERVICES -> {
        admin
            .admin()
            .deleteService(
                DeleteRequest.newBuilder()
                    .setNamespace(target.namespace)
                    .setName(target.name)
                    .build());
        deletedServices.add(target.namespace + "/" + target.name);
      }
      case PODS ->
          admin
              .admin()
              .deletePod(
                  DeleteRequest.newBuilder()
                      .setNamespace(target.namespace)
                      .setName(target.name)
                      .build());
      case ENDPOINTS -> {
        if (!deletedServices.contains(target.namespace + "/" + target.service)) {
          admin
              .admin()
              .setEndpoints(
                  SetEndpointsRequest.newBuilder()
                      .setNamespace(target.namespace)
                      .setService(target.service)
                      .build());
        } // else: went with its service
      }
      case NODES ->
          throw new CommandFailure(
              "error: nodes cannot be deleted: a node leaves when" + " its agent stops");
    }
  }

  private List<Target> fromArgs() {
    if (args.size() < 2) {
      throw new CommandFailure(
          "error: give -f FILE, or TYPE and at least one NAME" + " (e.g. sbctl delete svc web)");
    }
    ResourceType type = ResourceType.parse(args.get(0));
    if (type == ResourceType.NODES) {
      throw new CommandFailure(
          "error: nodes cannot be deleted: a node leaves when its agent stops");
    }
    List<Target> targets = new ArrayList<>();
    for (String name : args.subList(1, args.size())) {
      targets.add(new Target(type, type.singular(), client.namespace(), name, name));
    }
    return targets;
  }

  private List<Target> fromFiles(Terminal t) {
    if (!args.isEmpty()) {
      throw new CommandFailure("error: give either -f FILE or TYPE NAME, not both");
    }
    ManifestReader.Result read = ManifestReader.read(files, recursive, t.in());
    List<String> errors = new ArrayList<>(read.errors());
    // Deleting stays all or nothing: a kind sbctl cannot delete is a problem here, not a skip.
    errors.addAll(read.skipped());
    List<Manifest> manifests = Namespaces.resolve(read.manifests(), client, errors);
    if (!errors.isEmpty()) {
      throw new CommandFailure(
          String.join("\n", errors)
              + "\nerror: nothing deleted: fix the "
              + (errors.size() == 1 ? "problem" : errors.size() + " problems")
              + " above");
    }
    List<Target> targets = new ArrayList<>();
    for (Manifest m : manifests) {
      ResourceType type =
          m.service() != null
              ? ResourceType.SERVICES
              : m.pod() != null ? ResourceType.PODS : ResourceType.ENDPOINTS;
      targets.add(
          new Target(
              type,
              m.resource(),
              m.namespace(),
              m.name(),
              m.slice() == null ? m.name() : m.slice().service()));
    }
    return targets;
  }
}
