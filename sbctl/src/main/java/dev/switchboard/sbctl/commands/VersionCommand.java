package dev.switchboard.sbctl.commands;

import dev.switchboard.sbctl.AdminClient;
import dev.switchboard.sbctl.ClientOptions;
import dev.switchboard.sbctl.Sbctl;
import dev.switchboard.sbctl.Terminal;
import dev.switchboard.sbctl.Version;
import dev.switchboard.v1.ListRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sbctl version}. The Admin API has no version call, so for the server this says whether it
 * answers (a cheap ListNodes) and where, and exits 1 when it does not, as kubectl does.
 */
@Command(
    name = "version",
    description = "Prints the client version and whether the server answers.")
public final class VersionCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;

  @Mixin ClientOptions client;

  @Option(names = "--client", description = "Only the client version; do not contact the server.")
  boolean clientOnly;

  @Override
  public Integer call() {
    Terminal t = root.terminal();
    t.out().println("Client Version: " + Version.client());
    t.out().flush();
    if (clientOnly) {
      return 0;
    }
    try (AdminClient admin = client.connect(t)) {
      admin.admin().listNodes(ListRequest.getDefaultInstance());
      t.out()
          .println(
              "Server: "
                  + admin.server()
                  + " (reachable; the Admin API does not report"
                  + " a version)");
    }
    return 0;
  }
}
