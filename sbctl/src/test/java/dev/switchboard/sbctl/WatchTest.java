package dev.switchboard.sbctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code sbctl get -w}: a watch bounded by cancelling it (interrupting its thread). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WatchTest {
  private SbctlHarness cluster;
  private final ExecutorService executor = Executors.newCachedThreadPool();

  @BeforeAll
  void start() {
    cluster = new SbctlHarness();
  }

  @AfterAll
  void stop() {
    executor.shutdownNow();
    cluster.close();
  }

  private static String pod(String name, String ip, boolean ready) {
    return """
        apiVersion: v1
        kind: Pod
        metadata: {name: %s, labels: {app: w}}
        spec: {nodeName: node-1, containers: [{name: c}]}
        status: {podIP: %s, conditions: [{type: Ready, status: "%s"}]}
        """
        .formatted(name, ip, ready ? "True" : "False");
  }

  @Test
  void watchPrintsTheListingThenEveryChangeAsRows() throws Exception {
    cluster.sbctlWithInput(pod("w-1", "127.0.10.31", true), "apply", "-f", "-", "-n", "watch");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Terminal terminal =
        new Terminal(
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            new ByteArrayInputStream(new byte[0]),
            Map.of(ClientOptions.SERVER_ENV, cluster.server(), ClientOptions.INSECURE_ENV, "true"),
            Clock.systemUTC());
    Future<Integer> watch =
        executor.submit(
            () -> Sbctl.run(terminal, "get", "pods", "-n", "watch", "-w", "--output-watch-events"));
    await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("w-1"));
    // The listing is printed before the server registers the watch: a change seen through the
    // watch (w-0) proves it is registered, so the changes below cannot fall between the two.
    cluster.sbctlWithInput(pod("w-0", "127.0.10.30", true), "apply", "-f", "-", "-n", "watch");
    await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("w-0"));

    cluster.sbctlWithInput(pod("w-2", "127.0.10.32", false), "apply", "-f", "-", "-n", "watch");
    cluster.sbctlWithInput(pod("w-2", "127.0.10.32", true), "apply", "-f", "-", "-n", "watch");
    cluster.sbctl("delete", "pod", "w-1", "-n", "watch");
    await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().split("\n").length >= 6);

    watch.cancel(true);
    assertThat(err.toString()).isEmpty();
    String[] lines = out.toString().split("\n");
    assertThat(lines[0]).isEqualTo("EVENT   NAME   READY   STATUS    IP            NODE     AGE");
    assertThat(lines[1])
        .matches("ADDED   w-1    1/1     Running   127\\.0\\.10\\.31   node-1   \\d+s");
    assertThat(lines[2])
        .matches("ADDED   w-0    1/1     Running   127\\.0\\.10\\.30   node-1   \\d+s");
    assertThat(lines[3])
        .matches("ADDED   w-2    0/1     Running   127\\.0\\.10\\.32   node-1   \\d+s");
    assertThat(lines[4])
        .matches("MODIFIED   w-2    1/1     Running   127\\.0\\.10\\.32   node-1   \\d+s");
    assertThat(lines[5])
        .matches("DELETED   w-1    1/1     Running   127\\.0\\.10\\.31   node-1   \\d+s");
    assertThat(lines).hasSize(6);
  }

  @Test
  void watchEndsQuietlyWhenCancelled() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Terminal terminal =
        new Terminal(
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            new ByteArrayInputStream(new byte[0]),
            Map.of(ClientOptions.SERVER_ENV, cluster.server(), ClientOptions.INSECURE_ENV, "true"),
            Clock.systemUTC());
    Thread thread = new Thread(() -> Sbctl.run(terminal, "get", "svc", "-n", "quiet", "-w"));
    thread.start();
    Thread.sleep(500); // let the watch start; nothing is expected to appear
    thread.interrupt();
    thread.join(TimeUnit.SECONDS.toMillis(10));
    assertThat(thread.isAlive()).isFalse();
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).isEmpty();
  }
}
