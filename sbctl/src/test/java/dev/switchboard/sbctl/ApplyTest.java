package dev.switchboard.sbctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code sbctl apply} against a real control plane and etcd. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApplyTest {
  private static final String WEB = "src/test/resources/manifests/web.yaml";
  private static final String GUESTBOOK = "src/test/resources/manifests/guestbook-all-in-one.yaml";
  private static final String NOT_SERVED =
      ": not served by Switchboard (it applies v1 Service,"
          + " v1 Pod, discovery.k8s.io/v1 EndpointSlice)";
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
  void appliesRealWorldManifestsInDependencyOrderAndSaysWhatChanged() {
    SbctlHarness.Run run = cluster.sbctl("apply", "-f", WEB, "-n", "shop");
    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    assertThat(run.outLines())
        .containsExactly(
            "service/web created",
            "service/web-lb created",
            "service/db created",
            "pod/web-1 created",
            "pod/web-2 created",
            "endpointslice.discovery.k8s.io/db-1 created");

    SbctlHarness.Run again = cluster.sbctl("apply", "-f", WEB, "-n", "shop");
    assertThat(again.outLines())
        .containsExactly(
            "service/web unchanged",
            "service/web-lb unchanged",
            "service/db unchanged",
            "pod/web-1 unchanged",
            "pod/web-2 unchanged",
            "endpointslice.discovery.k8s.io/db-1 unchanged");

    SbctlHarness.Run svc = cluster.sbctl("get", "svc", "-n", "shop");
    assertThat(svc.outLines().get(0))
        .matches("NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\\(S\\) +AGE");
    assertThat(svc.outLines())
        .anyMatch(
            l ->
                l.matches(
                    "web +NodePort +127\\.96\\.\\d+\\.\\d+ +<none> +80:30080/TCP,443:30043/TCP +\\d+s"));
    assertThat(svc.outLines())
        .anyMatch(
            l ->
                l.matches(
                    "web-lb +LoadBalancer +127\\.96\\.\\d+\\.\\d+ +<pending> +8080:3\\d{4}/TCP +\\d+s"));
    assertThat(svc.outLines())
        .anyMatch(l -> l.matches("db +ClusterIP +127\\.96\\.\\d+\\.\\d+ +<none> +5432/TCP +\\d+s"));

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(cluster.sbctl("get", "ep", "-n", "shop").outLines())
                    .anyMatch(
                        l ->
                            l.matches(
                                "web +127\\.0\\.10\\.1:8080,127\\.0\\.10\\.2:8080,127\\.0\\.10\\.1:8443 \\+ 1 more\\.\\.\\. +\\d+s")));
    SbctlHarness.Run ep = cluster.sbctl("get", "endpoints", "-n", "shop");
    assertThat(ep.outLines()).anyMatch(l -> l.matches("db +127\\.0\\.20\\.1:5432 +\\d+s"));
    assertThat(ep.outLines())
        .anyMatch(l -> l.matches("web-lb +127\\.0\\.10\\.1:8080,127\\.0\\.10\\.2:8080 +\\d+s"));
  }

  @Test
  void changesAreConfiguredAndKeepAllocatedValues(@TempDir Path dir) throws IOException {
    String v1 =
        """
        apiVersion: v1
        kind: Service
        metadata: {name: api, labels: {v: "1"}}
        spec:
          type: NodePort
          selector: {app: api}
          ports: [{name: http, port: 80}]
        """;
    Path file = dir.resolve("api.yaml");
    Files.writeString(file, v1, StandardCharsets.UTF_8);
    assertThat(cluster.sbctl("apply", "-f", file.toString(), "-n", "conf").outLines())
        .containsExactly("service/api created");
    String nodePort =
        cluster
            .sbctl("get", "svc", "api", "-n", "conf", "-o", "json")
            .out()
            .replaceAll("(?s).*\"nodePort\": (\\d+).*", "$1");
    Files.writeString(file, v1.replace("v: \"1\"", "v: \"2\""), StandardCharsets.UTF_8);
    assertThat(cluster.sbctl("apply", "-f", file.toString(), "-n", "conf").outLines())
        .containsExactly("service/api configured");
    assertThat(cluster.sbctl("get", "svc", "api", "-n", "conf", "-o", "yaml").out())
        .contains("nodePort: " + nodePort)
        .contains("v: \"2\"");
    assertThat(cluster.sbctl("apply", "-f", file.toString(), "-n", "conf").outLines())
        .containsExactly("service/api unchanged");
  }

  @Test
  void invalidDocumentsStopTheWholeApply() {
    String yaml =
        """
        apiVersion: v1
        kind: Service
        metadata: {name: fine}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          ports:
          - port: 80
            nodeport: 30080
        ---
        kind: Deployment
        metadata: {name: web}
        """;
    SbctlHarness.Run run = cluster.sbctlWithInput(yaml, "apply", "-f", "-", "-n", "invalid");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().split("\n"))
        .containsExactly(
            "<stdin>: document 2 (Service \"web\"): spec.ports[0].nodeport: unknown field"
                + " (did you mean nodePort?)",
            "<stdin>: document 3 (Deployment \"web\"): apiVersion: required",
            "error: nothing applied: fix the 2 problems above and apply again");
    SbctlHarness.Run get = cluster.sbctl("get", "svc", "fine", "-n", "invalid");
    assertThat(get.exit()).isEqualTo(1);
    assertThat(get.err()).startsWith("Error from server (NotFound): services \"fine\" not found");
  }

  @Test
  void mixedFilesApplyWhatIsServedAndNameEachSkippedObject() {
    SbctlHarness.Run run = cluster.sbctl("apply", "-f", GUESTBOOK, "-n", "guestbook");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.outLines())
        .containsExactly(
            "service/redis-master created",
            "service/redis-slave created",
            "service/frontend created");
    assertThat(run.err().split("\n"))
        .containsExactly(
            "Deployment \"redis-master\"" + NOT_SERVED,
            "Deployment \"redis-slave\"" + NOT_SERVED,
            "Deployment \"frontend\"" + NOT_SERVED);
    SbctlHarness.Run svc = cluster.sbctl("get", "svc", "-n", "guestbook");
    assertThat(svc.outLines())
        .hasSize(4)
        .anyMatch(l -> l.startsWith("redis-master "))
        .anyMatch(l -> l.startsWith("redis-slave "))
        .anyMatch(l -> l.matches("frontend +NodePort .*"));

    SbctlHarness.Run again = cluster.sbctl("apply", "-f", GUESTBOOK, "-n", "guestbook");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.outLines())
        .containsExactly(
            "service/redis-master unchanged",
            "service/redis-slave unchanged",
            "service/frontend unchanged");
    assertThat(again.err()).isEqualTo(run.err());

    SbctlHarness.Run onlySkipped =
        cluster.sbctlWithInput(
            """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: db}
        """,
            "apply",
            "-f",
            "-",
            "-n",
            "guestbook");
    assertThat(onlySkipped.exit()).isEqualTo(1);
    assertThat(onlySkipped.out()).isEmpty();
    assertThat(onlySkipped.err().split("\n"))
        .containsExactly(
            "ConfigMap \"settings\"" + NOT_SERVED,
            "Endpoints \"db\"" + NOT_SERVED + ": use a discovery.k8s.io/v1 EndpointSlice instead");
  }

  @Test
  void aMalformedDocumentInAMixedFileStillWritesNothing(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("guestbook.yaml");
    Files.writeString(
        file,
        Files.readString(Path.of(GUESTBOOK), StandardCharsets.UTF_8)
            + """
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: admin}
        spec:
          ports:
          - port: 80
            nodeport: 30080
        """,
        StandardCharsets.UTF_8);
    SbctlHarness.Run run = cluster.sbctl("apply", "-f", file.toString(), "-n", "guestbook-bad");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().split("\n"))
        .containsExactly(
            file
                + ": document 7 (Service \"admin\"): spec.ports[0].nodeport: unknown field"
                + " (did you mean nodePort?)",
            "error: nothing applied: fix the problem above and apply again");
    SbctlHarness.Run get = cluster.sbctl("get", "svc", "-n", "guestbook-bad");
    assertThat(get.out()).isEmpty();
    assertThat(get.err()).isEqualTo("No resources found in guestbook-bad namespace.\n");
  }

  @Test
  void syntaxErrorNamesTheLine() {
    SbctlHarness.Run run =
        cluster.sbctlWithInput(
            "apiVersion: v1\nkind: Service\nmetadata:\n" + "  name: x\n spec: {}\n",
            "apply",
            "-f",
            "-");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).startsWith("<stdin>: document 1: line 5, column 2: YAML syntax error: ");
  }

  @Test
  void wrongTypeIsAClientError() {
    SbctlHarness.Run run =
        cluster.sbctlWithInput(
            """
        apiVersion: v1
        kind: Service
        metadata: {name: x}
        spec: {ports: [{port: eighty}]}
        """,
            "apply",
            "-f",
            "-");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .startsWith(
            "<stdin>: document 1 (Service \"x\"): spec.ports[0].port:"
                + " invalid type: expected an integer, got string \"eighty\"\n");
  }

  @Test
  void serverRefusalsAreOneLineAndTheOtherObjectsStillApply() {
    SbctlHarness.Run run =
        cluster.sbctlWithInput(
            """
        apiVersion: v1
        kind: Service
        metadata: {name: bad}
        spec: {type: NodePort, ports: [{port: 80, nodePort: 29999}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: good}
        spec: {ports: [{port: 80}]}
        """,
            "apply",
            "-f",
            "-",
            "-n",
            "refused");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "Error from server (Invalid): error when applying \"<stdin>\""
                + " (document 1): Service \"bad\" is invalid: spec.ports[0].nodePort: Invalid value:"
                + " 29999: provided port is not in the valid range. The range of valid ports is"
                + " 30000-32767\n");
    assertThat(run.outLines()).containsExactly("service/good created");
  }

  @Test
  void staleResourceVersionIsAConflict() {
    String yaml =
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: p, resourceVersion: "1", labels: {a: b}}
        spec: {containers: [{name: c}]}
        status: {podIP: 127.0.10.50}
        """;
    cluster.sbctlWithInput(
        yaml.replace("resourceVersion: \"1\", ", ""), "apply", "-f", "-", "-n", "conflict");
    SbctlHarness.Run run =
        cluster.sbctlWithInput(yaml.replace("a: b", "a: c"), "apply", "-f", "-", "-n", "conflict");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .startsWith(
            "Error from server (Conflict): error when applying"
                + " \"<stdin>\" (document 1): Operation cannot be fulfilled on pods \"p\"");
  }

  @Test
  void namespaceFlagDoesNotOverrideTheManifests() {
    SbctlHarness.Run run =
        cluster.sbctlWithInput(
            """
        apiVersion: v1
        kind: Service
        metadata: {name: x, namespace: a}
        spec: {ports: [{port: 80}]}
        """,
            "apply",
            "-f",
            "-",
            "-n",
            "b");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .startsWith(
            "<stdin>: document 1 (Service \"x\"): the namespace from the"
                + " provided object \"a\" does not match the namespace \"b\".");
  }

  @Test
  void directoriesAndSlicesOfOneServiceMerge(@TempDir Path dir) throws IOException {
    Files.writeString(
        dir.resolve("1-svc.yaml"),
        """
        apiVersion: v1
        kind: Service
        metadata: {name: ext}
        spec: {ports: [{name: pg, port: 5432}]}
        """,
        StandardCharsets.UTF_8);
    Files.writeString(
        dir.resolve("2-slices.yml"),
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: ext-a, labels: {kubernetes.io/service-name: ext}}
        addressType: IPv4
        ports: [{name: pg, port: 5432}]
        endpoints: [{addresses: [127.0.20.21]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: ext-b, labels: {kubernetes.io/service-name: ext}}
        addressType: IPv4
        ports: [{name: pg, port: 5433}]
        endpoints: [{addresses: [127.0.20.22], conditions: {ready: true}}]
        """,
        StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("notes.txt"), "not a manifest", StandardCharsets.UTF_8);
    SbctlHarness.Run run = cluster.sbctl("apply", "-f", dir.toString(), "-n", "dir");
    assertThat(run.err()).isEmpty();
    assertThat(run.outLines())
        .containsExactly(
            "service/ext created",
            "endpointslice.discovery.k8s.io/ext-a created",
            "endpointslice.discovery.k8s.io/ext-b created");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(cluster.sbctl("get", "ep", "ext", "-n", "dir").outLines().get(1))
                    .matches("ext +127\\.0\\.20\\.21:5432,127\\.0\\.20\\.22:5433 +\\d+s"));
    assertThat(cluster.sbctl("apply", "-f", dir.toString(), "-n", "dir").outLines())
        .containsExactly(
            "service/ext unchanged",
            "endpointslice.discovery.k8s.io/ext-a unchanged",
            "endpointslice.discovery.k8s.io/ext-b unchanged");
  }

  @Test
  void terminatingPodsRoundTrip(@TempDir Path dir) throws IOException {
    SbctlHarness.Run created =
        cluster.sbctlWithInput(
            """
        apiVersion: v1
        kind: Pod
        metadata: {name: old, deletionTimestamp: "2026-01-01T00:00:00Z"}
        spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}
        status: {podIP: 127.0.10.60, conditions: [{type: Ready, status: "True"}]}
        """,
            "apply",
            "-f",
            "-",
            "-n",
            "term");
    assertThat(created.outLines()).containsExactly("pod/old created");
    assertThat(cluster.sbctl("get", "pods", "-n", "term").outLines().get(1))
        .matches("old +1/1 +Terminating +127\\.0\\.10\\.60 +<none> +\\d+s");
    Path file = dir.resolve("old.yaml");
    Files.writeString(
        file,
        cluster.sbctl("get", "pod", "old", "-n", "term", "-o", "yaml").out(),
        StandardCharsets.UTF_8);
    assertThat(Files.readString(file)).contains("deletionTimestamp:");
    assertThat(cluster.sbctl("apply", "-f", file.toString()).outLines())
        .containsExactly("pod/old unchanged");
  }

  /** The complaint: a probe in the YAML was dropped without a word. */
  @Test
  void readinessProbesRoundTripAndShowAsKubectlShowsThem(@TempDir Path dir) throws IOException {
    SbctlHarness.Run created =
        cluster.sbctlWithInput(
            """
        apiVersion: v1
        kind: Pod
        metadata: {name: probed}
        spec:
          nodeName: node-1
          containers:
          - name: web
            ports: [{name: http, containerPort: 8080}]
            readinessProbe:
              httpGet: {path: /healthz, port: http, httpHeaders: [{name: X-Probe, value: "yes"}]}
              periodSeconds: 1
              failureThreshold: 3
            livenessProbe: {tcpSocket: {port: 8080}}
        status: {podIP: 127.0.10.61, conditions: [{type: Ready, status: "True"}]}
        """,
            "apply",
            "-f",
            "-",
            "-n",
            "probes");
    assertThat(created.outLines()).containsExactly("pod/probed created");
    // Its node's agent owns Ready now: not ready until a probe passes, whatever the file says.
    assertThat(cluster.sbctl("get", "pods", "-n", "probes").outLines().get(1))
        .matches("probed +0/1 +Running +127\\.0\\.10\\.61 +node-1 +\\d+s");
    String yaml = cluster.sbctl("get", "pod", "probed", "-n", "probes", "-o", "yaml").out();
    assertThat(yaml)
        .contains(
            "readinessProbe:",
            "path: /healthz",
            "port: http",
            "periodSeconds: 1",
            "timeoutSeconds: 1",
            "name: X-Probe");
    Path file = dir.resolve("probed.yaml");
    Files.writeString(file, yaml, StandardCharsets.UTF_8);
    assertThat(cluster.sbctl("apply", "-f", file.toString()).outLines())
        .containsExactly("pod/probed unchanged");
    assertThat(cluster.sbctl("describe", "pod", "probed", "-n", "probes").out())
        .contains(
            "Readiness:  http-get http://:http/healthz delay=0s timeout=1s period=1s #success=1"
                + " #failure=3")
        .contains("Warning  Unhealthy  waiting for the first probe");
  }

  @Test
  void anExecProbeIsRefusedWithItsField() {
    SbctlHarness.Run run =
        cluster.sbctlWithInput(
            """
        apiVersion: v1
        kind: Pod
        metadata: {name: exec-probed}
        spec:
          containers:
          - name: web
            readinessProbe: {exec: {command: [cat, /tmp/ready]}}
        status: {podIP: 127.0.10.62}
        """,
            "apply",
            "-f",
            "-",
            "-n",
            "probes");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .contains(
            "spec.containers[0].readinessProbe.exec: Forbidden: exec probes" + " cannot run here");
  }
}
