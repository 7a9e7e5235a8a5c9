package dev.switchboard.checks;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What every component's {@code Main} shares: running a picocli command the house way, and the flag
 * values more than one component reads (durations, ports, {@code HOST:PORT}), each with one grammar
 * and one message: {@code --flag: value (expected: rule)}.
 *
 * <p>A bad flag is one line and exit code 2 ({@code NAME: message (see --help)}), whether picocli
 * or the command's own checks found it; any other failure is one line and exit code 1.
 */
public final class Flags {
  static final String DURATION_RULE = "a duration such as 500ms, 10s, 2m or 1h";
  private static final Pattern DURATION = Pattern.compile("^(\\d{1,18})(ms|s|m|h)$");
  private static final Pattern HOST_PORT =
      Pattern.compile("^(\\[[0-9A-Fa-f:.]+]|[^:\\[\\]\\s]+):(\\d{1,5})$");

  private Flags() {}

  /** Parses {@code args} into {@code command}, runs it and returns the exit code. */
  public static int run(String name, Object command, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(command);
    cli.setErr(err);
    cli.setParameterExceptionHandler(
        (e, a) -> {
          err.println(name + ": " + message(e) + " (see --help)");
          return 2;
        });
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof FlagException) {
            err.println(name + ": " + e.getMessage() + " (see --help)");
            return 2;
          }
          err.println(name + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
          return 1;
        });
    return cli.execute(args);
  }

  /** Our converters' errors in our words; picocli's own ("Invalid value for ...") as they are. */
  private static String message(CommandLine.ParameterException e) {
    if (e.getCause() instanceof RuleViolation rule && e.getArgSpec() instanceof OptionSpec option) {
      return new FlagException(option.longestName(), e.getValue(), rule.getMessage()).getMessage();
    }
    return e.getMessage();
  }

  /**
   * {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h} (case ignored), or ISO-8601 such as {@code
   * PT1M30S}; never negative.
   */
  public static Duration duration(String flag, String text) {
    Duration d = parseDuration(text);
    if (d == null) {
      throw new FlagException(flag, text, DURATION_RULE);
    }
    return d;
  }

  /** A port, 0-65535 (0: off, or any free port, as the flag says). */
  public static int port(String flag, String text) {
    try {
      return port(flag, Integer.parseInt(text.trim()));
    } catch (NumberFormatException e) {
      throw new FlagException(flag, text, "0-65535");
    }
  }

  /** {@code value}, checked to be a port, 0-65535. */
  public static int port(String flag, int value) {
    if (value < 0 || value > 65535) {
      throw new FlagException(flag, String.valueOf(value), "0-65535");
    }
    return value;
  }

  /**
   * {@code HOST:PORT} (an IPv6 host in brackets), with the port at least {@code minPort}: 1 for an
   * address to connect to, 0 for one to listen on (0: any free port).
   */
  public static HostPort hostPort(String flag, String text, int minPort) {
    Matcher m = HOST_PORT.matcher(text == null ? "" : text.trim());
    int port = m.matches() ? Integer.parseInt(m.group(2)) : -1;
    if (port < minPort || port > 65535) {
      throw new FlagException(
          flag, text, "HOST:PORT with PORT " + minPort + "-65535, e.g. 127.0.0.1:9440");
    }
    return new HostPort(m.group(1), port);
  }

  /** A host (name or IP literal; IPv6 in brackets) and a port. */
  public record HostPort(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  private static Duration parseDuration(String text) {
    if (text == null) {
      return null;
    }
    String v = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = DURATION.matcher(v);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
    try {
      Duration d = Duration.parse(text.trim());
      return d.isNegative() ? null : d;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** For {@code @Option(converter = ...)}: a {@link Duration} flag read as {@link #duration}. */
  public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d = parseDuration(value);
      if (d == null) {
        throw new RuleViolation(DURATION_RULE);
      }
      return d;
    }
  }

  /** A converter's rule, reported by {@link #run} with the flag and value picocli knows. */
  private static final class RuleViolation extends CommandLine.TypeConversionException {
    RuleViolation(String rule) {
      super(rule);
    }
  }
}
