package dev.switchboard.agent.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link NftSession} against real {@code nft -i}, in a network namespace this test makes ({@code
 * unshare --net --map-root-user}, held by a shell that exits when this JVM closes its input); nft
 * runs in it through {@code nsenter}. The host's tables are never touched.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NftSessionTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final String SET = "add element ip t s { ";

  private static Process namespace;
  private static List<String> nsenter;

  private NftSession session;

  @BeforeAll
  static void makeNamespace() throws IOException {
    namespace =
        new ProcessBuilder(
                "unshare", "--net", "--map-root-user", "--", "sh", "-c", "echo ready; read -r _")
            .redirectErrorStream(true)
            .start();
    String ready =
        new BufferedReader(
                new InputStreamReader(namespace.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    assertThat(ready).as("unshare (util-linux) made a namespace").isEqualTo("ready");
    nsenter =
        List.of(
            "nsenter",
            "--target",
            Long.toString(namespace.pid()),
            "--user",
            "--net",
            "--preserve-credentials",
            "--");
  }

  @AfterAll
  static void dropNamespace() throws IOException {
    namespace.getOutputStream().close();
    namespace.destroyForcibly();
  }

  @BeforeEach
  void freshTable() {
    String error =
        oneShot()
            .apply(
                "add table ip t\ndelete table ip t\n"
                    + "table ip t {\n  set s {\n    type ipv4_addr\n  }\n}\n");
    assertThat(error).isEmpty();
  }

  @AfterEach
  void closeSession() {
    if (session != null) {
      session.close();
    }
  }

  @Test
  void appliesBatchesOnOneProcessAndAFailedOneLeavesThePreviousState() {
    session = session(List.of("nft", "-i"));
    assertThat(session.apply(SET + "10.0.0.1 }\n")).isEmpty();
    long pid = session.pid();
    // A block spread over lines, as NftBatch.incremental writes new chains.
    assertThat(
            session.apply(
                "table ip t {\n  chain c {\n    ip daddr @s counter\n  }\n}\n"
                    + SET
                    + "10.0.0.2 }\n"))
        .isEmpty();
    assertThat(elements()).contains("10.0.0.1", "10.0.0.2");
    assertThat(chains()).contains("chain c");

    String error = session.apply(SET + "10.0.0.3 }\nadd element ip t nosuch { 10.0.0.4 }\n");

    assertThat(error).matches(".*/batch\\.nft:2:\\d+-\\d+: Error: No such file or directory");
    assertThat(elements()).contains("10.0.0.1", "10.0.0.2").doesNotContain("10.0.0.3");
    assertThat(session.apply(SET + "10.0.0.5 }\n")).isEmpty();
    assertThat(elements()).contains("10.0.0.5");
    assertThat(session.pid()).as("errors do not cost the process").isEqualTo(pid);
  }

  @Test
  void answersStayWithTheirBatchesOverManyInARow() {
    session = session(List.of("nft", "-i"));
    for (int i = 0; i < 200; i++) {
      String batch = SET + "10.1." + i / 250 + "." + (i % 250) + " }\n";
      if (i % 3 == 0) {
        assertThat(session.apply(batch + "add element ip t nosuch" + i + " { 10.0.0.9 }\n"))
            .as("batch %d", i)
            .contains("Error:");
      } else if (i % 3 == 1) {
        assertThat(session.apply("syntax error " + i + "\n")).as("batch %d", i).contains("Error:");
      } else {
        assertThat(session.apply(batch)).as("batch %d", i).isEmpty();
      }
    }
    assertThat(elements())
        .containsPattern("10\\.1\\.0\\.2\\b")
        .containsPattern("10\\.1\\.0\\.197\\b")
        .doesNotContainPattern("10\\.1\\.0\\.(0|1|3|198|199)\\b");
  }

  @Test
  void aProcessThatDiedBetweenBatchesIsReplaced() {
    session = session(List.of("nft", "-i"));
    assertThat(session.apply(SET + "10.0.0.1 }\n")).isEmpty();
    ProcessHandle first = ProcessHandle.of(session.pid()).orElseThrow();
    first.destroyForcibly();
    await().atMost(Duration.ofSeconds(10)).until(() -> !first.isAlive());

    assertThat(session.apply(SET + "10.0.0.2 }\n")).isEmpty();

    assertThat(session.pid()).isNotEqualTo(first.pid());
    assertThat(elements()).contains("10.0.0.1", "10.0.0.2");
  }

  @Test
  void aBatchWithoutAnswerIsCutAtTheTimeoutAndTheNextGoesToANewProcess() throws IOException {
    // The first process reads nothing and never answers; the ones after it are nft.
    java.nio.file.Path once = java.nio.file.Files.createTempFile("nft-session", ".once");
    java.nio.file.Files.delete(once);
    List<String> command = new ArrayList<>(List.of("sh", "-c"));
    command.add(
        "if [ -e \"$0\" ]; then exec "
            + String.join(" ", nsenter)
            + " nft -i; else touch \"$0\"; exec sleep 60; fi");
    command.add(once.toString());
    session = new NftSession(command, Duration.ofSeconds(1), oneShot());
    try {
      long started = System.nanoTime();
      String error = session.apply(SET + "10.0.0.1 }\n");
      long tookMs = (System.nanoTime() - started) / 1_000_000;

      assertThat(error).isEqualTo("nft -i: no answer within 1000 ms");
      assertThat(tookMs).isBetween(1000L, 10_000L);
      assertThat(session.pid()).as("the silent process was killed").isEqualTo(-1);
      assertThat(elements()).doesNotContain("10.0.0.1");
      assertThat(session.apply(SET + "10.0.0.2 }\n")).isEmpty();
      assertThat(elements()).contains("10.0.0.2");
    } finally {
      java.nio.file.Files.deleteIfExists(once);
    }
  }

  @Test
  void takesWhatNftFTakesAndLeavesWholeTablesToTheOneShotWriter() {
    List<String> oneShot = new ArrayList<>();
    session =
        new NftSession(
            nsenter(List.of("nft", "-i")),
            TIMEOUT,
            batch -> {
              oneShot.add(batch);
              return "";
            });
    // One element over three lines (a syntax error with ; for newlines), and a comment.
    String table =
        "add table ip t\ndelete table ip t\n"
            + "table ip t {\n  set s {\n    type ipv4_addr\n    elements = {\n      10.0.0.1\n"
            + "    }\n  }\n  chain c { # counts\n    ip daddr @s counter\n  }\n}\n";
    String whole = (SET + "10.0.0.2 }\n").repeat(NftSession.MAX_BATCH / 20);

    assertThat(session.apply(table)).isEmpty();
    assertThat(session.apply(whole)).isEmpty();

    assertThat(elements()).contains("10.0.0.1").doesNotContain("10.0.0.2");
    assertThat(chains()).contains("chain c");
    assertThat(oneShot).containsExactly(whole);
  }

  @Test
  void aClosedSessionRefusesAndLeavesNoProcess() {
    session = session(List.of("nft", "-i"));
    assertThat(session.apply(SET + "10.0.0.1 }\n")).isEmpty();
    ProcessHandle process = ProcessHandle.of(session.pid()).orElseThrow();

    session.close();

    assertThat(process.isAlive()).isFalse();
    assertThat(session.apply(SET + "10.0.0.2 }\n")).isEqualTo("nft -i: closed");
  }

  private NftSession session(List<String> command) {
    return new NftSession(nsenter(command), TIMEOUT, oneShot());
  }

  private static List<String> nsenter(List<String> command) {
    List<String> full = new ArrayList<>(nsenter);
    full.addAll(command);
    return full;
  }

  private static Nft oneShot() {
    List<String> command = new ArrayList<>(nsenter);
    command.addAll(List.of("nft", "-f", "-"));
    return batch -> Nft.run(command, batch, TIMEOUT).error();
  }

  private static String elements() {
    return list("list", "set", "ip", "t", "s");
  }

  private static String chains() {
    return list("list", "chains", "ip");
  }

  private static String list(String... args) {
    List<String> command = new ArrayList<>(nsenter);
    command.add("nft");
    command.addAll(List.of(args));
    Nft.Result result = Nft.run(command, "", TIMEOUT);
    assertThat(result.exitCode()).as(result.output()).isZero();
    return result.output();
  }
}
