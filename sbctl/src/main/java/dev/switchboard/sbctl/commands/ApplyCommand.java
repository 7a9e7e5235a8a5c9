package dev.switchboard.sbctl.commands;

import dev.switchboard.sbctl.AdminClient;
import dev.switchboard.sbctl.ClientOptions;
import dev.switchboard.sbctl.Sbctl;
import dev.switchboard.sbctl.ServerErrors;
import dev.switchboard.sbctl.Terminal;
import dev.switchboard.sbctl.apply.Applier;
import dev.switchboard.sbctl.manifest.Manifest;
import dev.switchboard.sbctl.manifest.ManifestReader;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sbctl apply -f}: every document of every file is validated first; if any is invalid, each
 * problem is printed and nothing at all is applied. Then objects are applied one by one; a server
 * refusal of one is printed and the others still go ahead (exit code 1), as kubectl. Objects of
 * kinds Switchboard does not serve are skipped with one line each (exit code 1), as kubectl does
 * with kinds its server lacks, so a mixed file (Services and Deployments) still applies its
 * Services.
 */
@Command(
    name = "apply",
    sortOptions = false,
    description = "Creates or updates Services, Pods and EndpointSlices from Kubernetes manifests.")
public final class ApplyCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;

  @Mixin ClientOptions client;

  @Option(
      names = {"-f", "--filename"},
      required = true,
      paramLabel = "FILE|DIR|-",
      description =
          "A YAML or JSON file (any number of documents), a directory of .yaml, .yml "
              + "and .json files, or - for stdin. Repeatable.")
  List<String> files;

  @Option(
      names = {"-R", "--recursive"},
      description = "Read directories recursively.")
  boolean recursive;

  @Override
  public Integer call() {
    Terminal t = root.terminal();
    ManifestReader.Result read = ManifestReader.read(files, recursive, t.in());
    List<String> errors = new ArrayList<>(read.errors());
    List<Manifest> manifests = Namespaces.resolve(read.manifests(), client, errors);
    if (!errors.isEmpty()) {
      errors.forEach(t.err()::println);
      t.err()
          .println(
              "error: nothing applied: fix the "
                  + (errors.size() == 1 ? "problem" : errors.size() + " problems")
                  + " above and apply again");
      return 1;
    }
    if (manifests.isEmpty()) {
      if (read.skipped().isEmpty()) {
        t.err().println("error: no objects passed to apply");
      }
      read.skipped().forEach(t.err()::println);
      return 1;
    }
    int failures = read.skipped().size();
    try (AdminClient admin = client.connect(t)) {
      Applier applier = new Applier(admin);
      List<Manifest> ordered = Applier.order(manifests);
      applier.plan(ordered);
      for (Manifest m : ordered) {
        try {
          t.out().println(m.resource() + "/" + m.name() + " " + applier.apply(m));
          t.out().flush();
        } catch (StatusRuntimeException e) {
          if (ServerErrors.isConnectionFailure(e)) {
            throw e; // no server: one line for the whole command
          }
          t.err()
              .println(
                  ServerErrors.line(
                      e,
                      admin.server(),
                      "error when applying \""
                          + m.source()
                          + "\" (document "
                          + m.document()
                          + (m.item() == null ? "" : ", " + m.item())
                          + "): "));
          failures++;
        }
      }
    }
    read.skipped().forEach(t.err()::println);
    return failures == 0 ? 0 : 1;
  }
}
