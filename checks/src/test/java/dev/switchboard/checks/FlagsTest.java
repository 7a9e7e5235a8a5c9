package dev.switchboard.checks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One grammar and one message per kind of flag value, and one way every Main reports a bad flag.
 */
class FlagsTest {

  @ParameterizedTest
  @CsvSource({
    "500ms, PT0.5S",
    "10s, PT10S",
    "2m, PT2M",
    "1h, PT1H",
    "' 5S ', PT5S",
    "0s, PT0S",
    "PT1M30S, PT1M30S"
  })
  void durationsAreMillisecondsSecondsMinutesHoursOrIso8601(String text, String expected) {
    assertThat(Flags.duration("--resync-interval", text)).isEqualTo(Duration.parse(expected));
  }

  @ParameterizedTest
  @CsvSource({"fast", "-5s", "5", "PT-1S", "5d", "''"})
  void aBadDurationNamesTheFlagTheValueAndTheRule(String text) {
    assertThatThrownBy(() -> Flags.duration("--resync-interval", text))
        .isInstanceOf(FlagException.class)
        .hasMessage(
            "--resync-interval: " + text + " (expected: a duration such as 500ms, 10s, 2m or 1h)");
  }

  @Test
  void portsAreZeroTo65535() {
    assertThat(Flags.port("--admin-port", " 10256 ")).isEqualTo(10256);
    assertThat(Flags.port("--admin-port", 0)).isZero();
    assertThatThrownBy(() -> Flags.port("--admin-port", "70000"))
        .hasMessage("--admin-port: 70000 (expected: 0-65535)");
    assertThatThrownBy(() -> Flags.port("--metrics-port", -1))
        .hasMessage("--metrics-port: -1 (expected: 0-65535)");
  }

  @Test
  void hostPortTakesNamesIpv4AndBracketedIpv6() {
    assertThat(Flags.hostPort("--control-plane", "cp.example:9440", 1))
        .isEqualTo(new Flags.HostPort("cp.example", 9440));
    assertThat(Flags.hostPort("--control-plane", "[::1]:9440", 1).toString())
        .isEqualTo("[::1]:9440");
    assertThat(Flags.hostPort("--listen", "127.0.0.1:0", 0).port()).isZero();
    assertThatThrownBy(() -> Flags.hostPort("--control-plane", "127.0.0.1:0", 1))
        .hasMessage(
            "--control-plane: 127.0.0.1:0 (expected: HOST:PORT with PORT 1-65535, e.g. 127.0.0.1:9440)");
    assertThatThrownBy(() -> Flags.hostPort("--listen", "nonsense", 0))
        .hasMessage(
            "--listen: nonsense (expected: HOST:PORT with PORT 0-65535, e.g. 127.0.0.1:9440)");
  }

  @Command(name = "demo")
  static final class Demo implements Callable<Integer> {
    @Option(names = "--wait", defaultValue = "1s", converter = Flags.DurationConverter.class)
    Duration wait;

    @Option(names = "--port", defaultValue = "0")
    int port;

    @Option(names = "--fail")
    boolean fail;

    @Override
    public Integer call() {
      Flags.port("--port", port);
      if (fail) {
        throw new IllegalStateException("etcd at 127.0.0.1:2379 did not answer within 60 s");
      }
      return 0;
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--wait=soon  | demo: --wait: soon (expected: a duration such as 500ms, 10s, 2m or 1h) (see --help)",
        "--port=70000 | demo: --port: 70000 (expected: 0-65535) (see --help)",
        "--port=x     | demo: Invalid value for option '--port': 'x' is not an int (see --help)",
        "--bogus      | demo: Unknown option: '--bogus' (see --help)"
      })
  void aBadFlagIsOneLineAndExitTwo(String arg, String expected) {
    StringWriter err = new StringWriter();
    assertThat(Flags.run("demo", new Demo(), new PrintWriter(err, true), arg)).isEqualTo(2);
    assertThat(err.toString()).isEqualTo(expected + System.lineSeparator());
  }

  @Test
  void aFailureIsOneLineAndExitOne() {
    StringWriter err = new StringWriter();
    assertThat(Flags.run("demo", new Demo(), new PrintWriter(err, true), "--fail")).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo(
            "demo: etcd at 127.0.0.1:2379 did not answer within 60 s" + System.lineSeparator());
  }
}
