package dev.switchboard.sbctl.commands;

import dev.switchboard.sbctl.AdminClient;
import dev.switchboard.sbctl.ClientOptions;
import dev.switchboard.sbctl.CommandFailure;
import dev.switchboard.sbctl.ResourceType;
import dev.switchboard.sbctl.Sbctl;
import dev.switchboard.sbctl.ServerErrors;
import dev.switchboard.sbctl.Terminal;
import dev.switchboard.sbctl.output.Describers;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sbctl describe svc|pod|node NAME...}: the multi-line view; a service with its endpoints.
 */
@Command(
    name = "describe",
    description = "Shows one service (with its endpoints), pod or node in detail.")
public final class DescribeCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;

  @Mixin ClientOptions client;

  @Parameters(index = "0", paramLabel = "TYPE", description = "svc, pod or node.")
  String type;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "NAME")
  List<String> names;

  @Override
  public Integer call() {
    Terminal t = root.terminal();
    ResourceType resource = ResourceType.parse(type);
    if (resource == ResourceType.ENDPOINTS) {
      throw new CommandFailure(
          "error: describe endpoints is not supported: describe the service,"
              + " which shows its endpoints");
    }
    int exit = 0;
    try (AdminClient admin = client.connect(t)) {
      Fetcher fetcher = new Fetcher(admin);
      boolean first = true;
      for (String name : names) {
        try {
          Item item = fetcher.get(resource, client.namespace(), name);
          String text =
              switch (resource) {
                case SERVICES ->
                    Describers.service(
                        (Service) item.object(), endpoints(admin, item.namespace(), name));
                case PODS -> Describers.pod((Pod) item.object());
                default -> Describers.node((Node) item.object());
              };
          if (!first) {
            t.out().println();
          }
          t.out().print(text);
          t.out().flush();
          first = false;
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
            throw e;
          }
          t.err().println(ServerErrors.line(e, admin.server(), ""));
          exit = 1;
        }
      }
    }
    return exit;
  }

  private static Endpoints endpoints(AdminClient admin, String namespace, String name) {
    try {
      return admin
          .admin()
          .getEndpoints(GetRequest.newBuilder().setNamespace(namespace).setName(name).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }
}
