package dev.switchboard.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus' text exposition format 0.0.4: every line must be a HELP, a TYPE
 * (before the family's samples, once per family) or a sample with a valid name, well-formed labels
 * and a float value. Fails the test at the first line that is not.
 */
final class PrometheusText {
  private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"";
  private static final String VALUE =
      "(?:[-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)|[-+]?Inf|NaN)";
  private static final Pattern HELP = Pattern.compile("^# HELP (" + NAME + ") .*$");
  private static final Pattern TYPE =
      Pattern.compile("^# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)$");
  private static final Pattern SAMPLE =
      Pattern.compile(
          "^("
              + NAME
              + ")(\\{(?:"
              + LABEL
              + "(?:,"
              + LABEL
              + ")*,?)?})? ("
              + VALUE
              + ")(?: -?[0-9]+)?$");

  private PrometheusText() {}

  /** Checks every line; returns the samples, {@code name{labels}} → value. */
  static Map<String, Double> parse(String text) {
    Map<String, Double> samples = new HashMap<>();
    Map<String, String> types = new HashMap<>();
    assertThat(text).as("exposition ends with a newline").endsWith("\n");
    for (String line : text.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      Matcher m;
      if ((m = TYPE.matcher(line)).matches()) {
        assertThat(types.put(m.group(1), m.group(2))).as("second TYPE line: %s", line).isNull();
      } else if (HELP.matcher(line).matches()) {
        continue;
      } else if ((m = SAMPLE.matcher(line)).matches()) {
        String key = m.group(1) + (m.group(2) == null ? "" : m.group(2));
        assertThat(samples.put(key, Double.valueOf(m.group(3).replace("Inf", "Infinity"))))
            .as("duplicate sample: %s", line)
            .isNull();
      } else {
        throw new AssertionError("not Prometheus text format: \"" + line + "\"\nin:\n" + text);
      }
    }
    return samples;
  }

  /** The value of a sample without labels, or 0 when absent. */
  static double value(Map<String, Double> samples, String name) {
    return samples.getOrDefault(name, 0.0);
  }
}
