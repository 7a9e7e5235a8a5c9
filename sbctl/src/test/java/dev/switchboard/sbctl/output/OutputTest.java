package dev.switchboard.sbctl.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutputTest {
  @Test
  void ageReadsAsKubectls() {
    assertThat(Age.human(Duration.ofSeconds(5))).isEqualTo("5s");
    assertThat(Age.human(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(Age.human(Duration.ofSeconds(150))).isEqualTo("2m30s");
    assertThat(Age.human(Duration.ofMinutes(3))).isEqualTo("3m");
    assertThat(Age.human(Duration.ofMinutes(42))).isEqualTo("42m");
    assertThat(Age.human(Duration.ofMinutes(5 * 60 + 7))).isEqualTo("5h7m");
    assertThat(Age.human(Duration.ofHours(20))).isEqualTo("20h");
    assertThat(Age.human(Duration.ofDays(2))).isEqualTo("2d");
    assertThat(Age.human(Duration.ofHours(24 * 3 + 4))).isEqualTo("3d4h");
    assertThat(Age.human(Duration.ofDays(40))).isEqualTo("40d");
    assertThat(Age.human(Duration.ofDays(365 * 3 + 10))).isEqualTo("3y10d");
    assertThat(Age.human(Duration.ofSeconds(-1))).isEqualTo("0s");
    assertThat(Age.of(0, 1000)).isEqualTo("<unknown>");
  }

  @Test
  void tableColumnsAreThreeSpacesApartAndTheLastUnpadded() {
    Table t = new Table(List.of("NAME", "TYPE", "AGE"));
    t.add(List.of("web", "NodePort", "5s"));
    t.add(List.of("database", "ClusterIP", "10m"));
    java.io.StringWriter out = new java.io.StringWriter();
    t.print(new java.io.PrintWriter(out), false);
    assertThat(out.toString())
        .isEqualTo(
            """
        NAME       TYPE        AGE
        web        NodePort    5s
        database   ClusterIP   10m
        """);
  }

  @Test
  void yamlQuotesWhatWouldReadBackAsAnotherType() {
    Map<String, Object> m = new LinkedHashMap<>();
    List<String> tricky =
        List.of(
            "true",
            "80",
            "1.5",
            "null",
            "~",
            "",
            "a: b",
            "-x",
            "# c",
            "2026-01-01T00:00:00Z",
            "multi\nline",
            "tab\there",
            "yes",
            "0x1F",
            "127.0.0.1",
            "app.kubernetes.io/name",
            "{json}",
            "*alias",
            "quote\"d",
            " lead");
    for (int i = 0; i < tricky.size(); i++) {
      m.put("k" + i, tricky.get(i));
    }
    m.put("num", 80);
    m.put("flag", true);
    m.put("empty", Map.of());
    m.put("none", List.of());
    m.put("list", List.of(Map.of("a", 1), "s"));
    String yaml = YamlWriter.write(m);
    assertThat(yaml)
        .contains(
            "k0: \"true\"\n",
            "k1: \"80\"\n",
            "k14: 127.0.0.1\n",
            "k15: app.kubernetes.io/name\n",
            "num: 80\n",
            "flag: true\n",
            "empty: {}\n",
            "none: []\n",
            "list:\n- a: 1\n- s\n");
    // Whatever is written reads back as the same strings.
    Object back =
        new org.snakeyaml.engine.v2.api.Load(
                org.snakeyaml.engine.v2.api.LoadSettings.builder()
                    .setSchema(new org.snakeyaml.engine.v2.schema.CoreSchema())
                    .build())
            .loadFromString(yaml);
    assertThat(back).isEqualTo(m);
  }

  @Test
  void jsonIsIndentedByFour() {
    assertThat(JsonWriter.write(Map.of("a", List.of(1, "x\"y"))))
        .isEqualTo(
            """
        {
            "a": [
                1,
                "x\\"y"
            ]
        }
        """);
  }
}
