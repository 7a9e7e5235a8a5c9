package dev.switchboard.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A bad flag is one clear line naming it, and exit code 2; nothing starts. */
class MainTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--health-rise=0      | switchboard-cloud-lb: --health-rise: 0 (expected: 1-100) (see --help)",
        "--health-fall=x      | switchboard-cloud-lb: Invalid value for option '--health-fall': 'x' is not an int (see --help)",
        "--health-interval=2y | switchboard-cloud-lb: --health-interval: 2y (expected: a duration such as 500ms, 10s, 2m or 1h) (see --help)",
        "--health-interval=0s | switchboard-cloud-lb: --health-interval: PT0S (expected: > 0) (see --help)",
        "--maglev-table-size=65536 | switchboard-cloud-lb: --maglev-table-size: 65536 (expected: a prime in 3-16777213, e.g. 65537) (see --help)",
        "--control-plane=nope | switchboard-cloud-lb: --control-plane: nope (expected: HOST:PORT with PORT 1-65535, e.g. 127.0.0.1:9440) (see --help)",
        "--bogus              | switchboard-cloud-lb: Unknown option: '--bogus' (see --help)",
        "--tls-ca=ca.pem      | switchboard-cloud-lb: TLS is required: missing --tls-cert, --tls-key (or pass --insecure to connect in plaintext without certificates) (see --help)",
        "--admin-token-file=/nonexistent/t | switchboard-cloud-lb: TLS is required: missing --tls-ca, --tls-cert, --tls-key (or pass --insecure to connect in plaintext without certificates) (see --help)",
      })
  void badFlagsAreOneLineAndExitTwo(String flag, String expected) {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(err, true), flag);
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).isEqualTo(expected + System.lineSeparator());
  }
}
