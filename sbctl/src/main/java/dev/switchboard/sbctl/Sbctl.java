package dev.switchboard.sbctl;

import dev.switchboard.sbctl.commands.ApplyCommand;
import dev.switchboard.sbctl.commands.DeleteCommand;
import dev.switchboard.sbctl.commands.DescribeCommand;
import dev.switchboard.sbctl.commands.GetCommand;
import dev.switchboard.sbctl.commands.VersionCommand;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The root command: holds the {@link Terminal} the subcommands print to. */
@Command(
    name = "sbctl",
    mixinStandardHelpOptions = true,
    versionProvider = Version.Provider.class,
    description =
        "Controls a Switchboard cluster through its Admin API, the way kubectl "
            + "controls Kubernetes: apply Service, Pod and EndpointSlice manifests, get, describe, delete.",
    subcommands = {
      ApplyCommand.class,
      GetCommand.class,
      DescribeCommand.class,
      DeleteCommand.class,
      VersionCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Sbctl implements Runnable {
  private final Terminal terminal;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public Sbctl(Terminal terminal) {
    this.terminal = terminal;
  }

  public Terminal terminal() {
    return terminal;
  }

  @Override
  public void run() {
    spec.commandLine().usage(terminal.out());
  }

  /**
   * Runs one sbctl command line and returns its exit code: 0, or 1 for any error (a server refusal,
   * no server, a bad manifest, a bad flag), which is printed to err on one line.
   */
  public static int run(Terminal terminal, String... args) {
    CommandLine cl = new CommandLine(new Sbctl(terminal));
    cl.setOut(terminal.out());
    cl.setErr(terminal.err());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler(
        (ex, argv) -> {
          terminal.err().println("error: " + ex.getMessage());
          terminal
              .err()
              .println(
                  "See '"
                      + ex.getCommandLine().getCommandSpec().qualifiedName()
                      + " --help' for usage.");
          terminal.err().flush();
          return 1;
        });
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (ex instanceof CommandFailure f) {
            terminal.err().println(f.getMessage());
          } else if (ex instanceof StatusRuntimeException s) {
            terminal.err().println(ServerErrors.line(s, serverOf(parseResult, terminal), ""));
          } else {
            throw ex;
          }
          terminal.err().flush();
          return 1;
        });
    int code = cl.execute(args);
    terminal.out().flush();
    terminal.err().flush();
    return code;
  }

  private static String serverOf(CommandLine.ParseResult parseResult, Terminal terminal) {
    CommandLine.ParseResult sub = parseResult;
    while (sub.subcommand() != null) {
      sub = sub.subcommand();
    }
    String server = sub.matchedOptionValue("--server", null);
    ClientOptions options = new ClientOptions();
    options.server = server;
    return options.server(terminal);
  }
}
