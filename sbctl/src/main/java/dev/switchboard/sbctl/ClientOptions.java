package dev.switchboard.sbctl;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** The options every command that talks to the server shares (a picocli mixin). */
public final class ClientOptions {
  public static final String DEFAULT_SERVER = "127.0.0.1:9440";
  public static final String SERVER_ENV = "SWITCHBOARD_SERVER";
  public static final String TOKEN_ENV = "SWITCHBOARD_TOKEN";
  public static final String CA_ENV = "SWITCHBOARD_CA";
  public static final String INSECURE_ENV = "SWITCHBOARD_INSECURE";
  private static final Pattern DURATION = Pattern.compile("^(\\d+)(ms|s|m|h)?$");

  @Option(
      names = "--server",
      paramLabel = "HOST:PORT",
      description =
          "The control plane's Admin API (env " + SERVER_ENV + "; default " + DEFAULT_SERVER + ").")
  String server;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = "Bearer token for the Admin API (env " + TOKEN_ENV + ").")
  String token;

  @Option(
      names = "--certificate-authority",
      paramLabel = "FILE",
      description =
          "CA (PEM) that verifies the server's certificate (env "
              + CA_ENV
              + "; default: the JVM's CAs).")
  String certificateAuthority;

  @Option(
      names = "--insecure",
      description =
          "Plaintext, no TLS (a server started with --insecure; env " + INSECURE_ENV + "=true).")
  boolean insecure;

  @Option(
      names = "--request-timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      description =
          "How long to wait for each answer, e.g. 5s, 1m; 0 waits forever. Default: ${DEFAULT-VALUE}.")
  String requestTimeout;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NS",
      description = "The namespace (default: \"default\").")
  String namespace;

  /** --server, else $SWITCHBOARD_SERVER, else 127.0.0.1:9440. */
  public String server(Terminal terminal) {
    if (server != null && !server.isBlank()) {
      return server;
    }
    String env = terminal.env().get(SERVER_ENV);
    return env == null || env.isBlank() ? DEFAULT_SERVER : env.trim();
  }

  public String namespace() {
    return namespace == null || namespace.isEmpty() ? "default" : namespace;
  }

  /** Whether -n was given: then objects naming another namespace are refused, as kubectl does. */
  public boolean namespaceGiven() {
    return namespace != null && !namespace.isEmpty();
  }

  public Duration timeout() {
    Matcher m = DURATION.matcher(requestTimeout.trim());
    if (!m.matches()) {
      throw new CommandFailure(
          "error: --request-timeout: expected a duration such as 30s, 1m or"
              + " 500ms, got \""
              + requestTimeout
              + "\"");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
  }

  public AdminClient connect(Terminal terminal) {
    String ca = firstOf(certificateAuthority, terminal.env().get(CA_ENV));
    boolean plaintext = insecure || "true".equalsIgnoreCase(terminal.env().get(INSECURE_ENV));
    if (plaintext && ca != null) {
      throw new CommandFailure(
          "error: --insecure: cannot be combined with --certificate-authority"
              + " (or "
              + CA_ENV
              + ")");
    }
    return AdminClient.connect(
        server(terminal),
        timeout(),
        plaintext,
        ca == null ? null : java.nio.file.Path.of(ca),
        firstOf(token, terminal.env().get(TOKEN_ENV)));
  }

  private static String firstOf(String flag, String env) {
    if (flag != null && !flag.isBlank()) {
      return flag.trim();
    }
    return env == null || env.isBlank() ? null : env.trim();
  }
}
