package dev.switchboard.sbctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.testing.EtcdProcess;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** delete, version, and how failures read. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeleteAndErrorsTest {
  private static final String DB =
      """
      apiVersion: v1
      kind: Service
      metadata: {name: db}
      spec: {ports: [{port: 5432}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: db-abcde, labels: {kubernetes.io/service-name: db}}
      addressType: IPv4
      ports: [{port: 5432}]
      endpoints: [{addresses: [127.0.20.5]}]
      """;
  private SbctlHarness cluster;

  @BeforeAll
  void start() {
    cluster = new SbctlHarness();
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  @Test
  void deleteByFileAndByName() {
    assertThat(cluster.sbctlWithInput(DB, "apply", "-f", "-", "-n", "del").exit()).isZero();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> cluster.sbctl("get", "ep", "db", "-n", "del").out().contains("127.0.20.5:5432"));

    SbctlHarness.Run slice =
        cluster.sbctlWithInput(
            DB.substring(DB.indexOf("apiVersion:", 10)), "delete", "-f", "-", "-n", "del");
    assertThat(slice.outLines())
        .containsExactly("endpointslice.discovery.k8s.io \"db-abcde\" deleted");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> cluster.sbctl("get", "ep", "db", "-n", "del").out().contains("<none>"));

    SbctlHarness.Run svc = cluster.sbctl("delete", "svc", "db", "-n", "del");
    assertThat(svc.exit()).isZero();
    assertThat(svc.outLines()).containsExactly("service \"db\" deleted");

    SbctlHarness.Run again = cluster.sbctl("delete", "svc", "db", "-n", "del");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err())
        .isEqualTo(
            "Error from server (NotFound): services \"db\" not found" + " in namespace \"del\"\n");
    assertThat(cluster.sbctl("delete", "svc", "db", "-n", "del", "--ignore-not-found").exit())
        .isZero();
  }

  @Test
  void deletingAServiceAndItsSliceFromOneFile() {
    cluster.sbctlWithInput(DB, "apply", "-f", "-", "-n", "both");
    SbctlHarness.Run run = cluster.sbctlWithInput(DB, "delete", "-f", "-", "-n", "both");
    assertThat(run.err()).isEmpty();
    assertThat(run.outLines())
        .containsExactly(
            "service \"db\" deleted", "endpointslice.discovery.k8s.io \"db-abcde\" deleted");
  }

  @Test
  void deleteByFileStaysAllOrNothingWithKindsNotServed() {
    cluster.sbctlWithInput(DB, "apply", "-f", "-", "-n", "mixed");
    SbctlHarness.Run run =
        cluster.sbctlWithInput(
            DB
                + """
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: db}
        """,
            "delete",
            "-f",
            "-",
            "-n",
            "mixed");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo(
            "Deployment \"db\": not served by Switchboard (it applies v1"
                + " Service, v1 Pod, discovery.k8s.io/v1 EndpointSlice)\n"
                + "error: nothing deleted: fix the problem above\n");
    assertThat(cluster.sbctl("get", "svc", "db", "-n", "mixed").exit()).isZero();
  }

  @Test
  void endpointsOfSelectorServicesCannotBeSet() {
    SbctlHarness.Run run =
        cluster.sbctlWithInput(
            """
        apiVersion: v1
        kind: Service
        metadata: {name: sel}
        spec: {selector: {app: x}, ports: [{port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: sel-1, labels: {kubernetes.io/service-name: sel}}
        endpoints: [{addresses: [127.0.20.9]}]
        """,
            "apply",
            "-f",
            "-",
            "-n",
            "sel");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.outLines()).containsExactly("service/sel created");
    assertThat(run.err())
        .startsWith(
            "Error from server (Forbidden): error when applying"
                + " \"<stdin>\" (document 2): services \"sel\" has a selector");
  }

  @Test
  void unreachableServerIsOneLine() {
    int port = EtcdProcess.freePort();
    SbctlHarness.Run run =
        SbctlHarness.sbctlIn(Map.of(), "", "get", "svc", "--server", "127.0.0.1:" + port);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "Unable to connect to the server at 127.0.0.1:" + port + ": Connection refused\n");
    SbctlHarness.Run env =
        SbctlHarness.sbctlIn(
            Map.of(ClientOptions.SERVER_ENV, "127.0.0.1:" + port),
            "",
            "apply",
            "-f",
            "src/test/resources/manifests/web.yaml");
    assertThat(env.exit()).isEqualTo(1);
    assertThat(env.err())
        .isEqualTo(
            "Unable to connect to the server at 127.0.0.1:" + port + ": Connection refused\n");
  }

  @Test
  void version() {
    SbctlHarness.Run run = cluster.sbctl("version");
    assertThat(run.exit()).isZero();
    assertThat(run.outLines())
        .containsExactly(
            "Client Version: " + Version.client(),
            "Server: "
                + cluster.server()
                + " (reachable; the Admin API does not report a version)");
    assertThat(Version.client()).matches("\\d+\\.\\d+\\.\\d+.*");
    SbctlHarness.Run down =
        SbctlHarness.sbctlIn(
            Map.of(), "", "version", "--server", "127.0.0.1:" + EtcdProcess.freePort());
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.out()).startsWith("Client Version: ");
    assertThat(down.err()).startsWith("Unable to connect to the server at ");
  }

  @Test
  void usageErrorsExitOne() {
    SbctlHarness.Run run = cluster.sbctl("get");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "error: Missing required parameter: 'TYPE'\n" + "See 'sbctl get --help' for usage.\n");
    assertThat(cluster.sbctl("delete", "svc").err())
        .startsWith("error: give -f FILE, or TYPE and at least one NAME");
  }
}
