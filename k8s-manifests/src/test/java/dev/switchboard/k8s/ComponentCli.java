package dev.switchboard.k8s;

import dev.switchboard.controlplane.alloc.ClusterIpRange;
import dev.switchboard.controlplane.alloc.LbIpPools;
import dev.switchboard.controlplane.alloc.PortRange;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * Each component's real command line: the args of a manifest are parsed by the component's own
 * picocli {@code Main} (unknown flags and bad types fail there) and then checked by the same code
 * its {@code call()} runs before starting anything (ranges, addresses, durations). What is left is
 * the set of ports the process would listen on.
 */
enum ComponentCli {
  CONTROL_PLANE("switchboard/control-plane", dev.switchboard.controlplane.Main::new) {
    @Override
    Map<Integer, PortKind> validate(CommandLine cli) throws Exception {
      String listen = value(cli, "--listen");
      dev.switchboard.checks.Flags.hostPort("--listen", listen, 0);
      flagged("--service-cidr", () -> ClusterIpRange.parse(value(cli, "--service-cidr")));
      flagged("--node-port-range", () -> PortRange.parse(value(cli, "--node-port-range")));
      String pools = value(cli, "--lb-pools");
      if (!pools.isBlank()) {
        flagged("--lb-pools", () -> LbIpPools.parse(pools));
      }
      // What call() runs next: TLS, client CA, Admin tokens and etcd TLS, loading their files.
      ((AutoCloseable) invoke(cli.getCommand(), "security")).close();
      Map<Integer, PortKind> ports = new LinkedHashMap<>();
      boolean insecure = Boolean.parseBoolean(value(cli, "--insecure"));
      ports.put(
          Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1)),
          insecure ? PortKind.GRPC : PortKind.GRPC_TLS);
      optionalPort(cli, "--metrics-port").ifPresent(p -> ports.put(p, PortKind.HTTP));
      optionalPort(cli, "--health-port").ifPresent(p -> ports.put(p, PortKind.GRPC));
      return ports;
    }
  },
  NODE_AGENT("switchboard/node-agent", dev.switchboard.agent.Main::new) {
    @Override
    Map<Integer, PortKind> validate(CommandLine cli) throws Exception {
      invoke(cli.getCommand(), "toConfig");
      openClientTls(cli);
      Map<Integer, PortKind> ports = new LinkedHashMap<>();
      ports.put(Integer.parseInt(value(cli, "--admin-port").trim()), PortKind.HTTP);
      optionalPort(cli, "--dns-port").ifPresent(p -> ports.put(p, PortKind.DNS));
      return ports;
    }
  },
  CLOUD_LB("switchboard/cloud-lb", dev.switchboard.lb.Main::new) {
    @Override
    Map<Integer, PortKind> validate(CommandLine cli) throws Exception {
      invoke(cli.getCommand(), "config");
      openClientTls(cli);
      Map<Integer, PortKind> ports = new LinkedHashMap<>();
      optionalPort(cli, "--metrics-port").ifPresent(p -> ports.put(p, PortKind.HTTP));
      return ports;
    }
  };

  /**
   * What a port speaks, so that a probe of the wrong kind is caught (Kubernetes' grpc: probe speaks
   * plaintext gRPC only: a TLS port fails it).
   */
  enum PortKind {
    GRPC,
    GRPC_TLS,
    HTTP,
    TCP,
    DNS
  }

  final String repository;
  private final Supplier<Callable<Integer>> main;

  ComponentCli(String repository, Supplier<Callable<Integer>> main) {
    this.repository = repository;
    this.main = main;
  }

  static Optional<ComponentCli> forImage(String image) {
    int colon = image.lastIndexOf(':');
    String repo = colon > image.lastIndexOf('/') ? image.substring(0, colon) : image;
    for (ComponentCli c : values()) {
      if (c.repository.equals(repo)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /**
   * Parses and validates {@code args} as the component would at start.
   *
   * @return the ports the process listens on
   * @throws IllegalArgumentException naming the flag and value
   */
  Map<Integer, PortKind> check(List<String> args) {
    CommandLine cli = new CommandLine(main.get());
    try {
      cli.parseArgs(args.toArray(String[]::new));
      return validate(cli);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(e.getCause().getMessage(), e.getCause());
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(name() + ": checking " + args + ": " + e, e);
    }
  }

  abstract Map<Integer, PortKind> validate(CommandLine cli) throws Exception;

  static String value(CommandLine cli, String option) {
    Object v = cli.getCommandSpec().findOption(option).getValue();
    return v == null ? "" : String.valueOf(v);
  }

  private static Optional<Integer> optionalPort(CommandLine cli, String option) {
    int port = Integer.parseInt(value(cli, option));
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(option + ": " + port + " (expected: 0-65535)");
    }
    return port == 0 ? Optional.empty() : Optional.of(port);
  }

  /** The TLS flags towards the control plane, as call() opens them (files loaded, then closed). */
  private static void openClientTls(CommandLine cli) throws Exception {
    java.lang.reflect.Field field = cli.getCommand().getClass().getDeclaredField("tls");
    field.setAccessible(true);
    ((dev.switchboard.tls.ClientTlsOptions) field.get(cli.getCommand())).open().close();
  }

  private static void flagged(String flag, Runnable parse) {
    try {
      parse.run();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }

  /** The component's own check, package-private in its Main: called as its call() does. */
  private static Object invoke(Object target, String method) throws Exception {
    Method m = target.getClass().getDeclaredMethod(method);
    m.setAccessible(true);
    return m.invoke(target);
  }
}
