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

/** {@code sbctl get} tables and YAML/JSON against a real control plane and etcd. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GetTest {
  private static final String AGE = "\\d+s";
  private SbctlHarness cluster;

  @BeforeAll
  void start() {
    cluster = new SbctlHarness();
    SbctlHarness.Run run =
        cluster.sbctlWithInput(
            """
        apiVersion: v1
        kind: Service
        metadata: {name: front, labels: {tier: front}}
        spec:
          type: NodePort
          clusterIP: 127.96.1.10
          selector: {app: front, tier: web}
          ports:
          - {name: http, port: 80, targetPort: http, nodePort: 30180}
          - {name: https, port: 443, targetPort: 8443, nodePort: 30543}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: lb}
        spec:
          type: LoadBalancer
          clusterIP: 127.96.1.11
          selector: {app: front}
          ports: [{port: 8080, nodePort: 30181}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: front-1, labels: {app: front, tier: web}}
        spec:
          nodeName: node-1
          containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]
        status:
          podIP: 127.0.10.11
          conditions: [{type: Ready, status: "True"}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: front-2, labels: {app: front, tier: web}}
        spec:
          nodeName: node-2
          containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]
        status:
          podIP: 127.0.10.12
          conditions: [{type: Ready, status: "False"}]
        """,
            "apply",
            "-f",
            "-",
            "-n",
            "tables");
    assertThat(run.err()).isEmpty();
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  @Test
  void servicesTable() {
    SbctlHarness.Run run = cluster.sbctl("get", "svc", "-n", "tables");
    assertThat(run.exit()).isZero();
    assertThat(run.outLines()).hasSize(3);
    assertThat(run.outLines().get(0))
        .isEqualTo(
            "NAME    TYPE           CLUSTER-IP    EXTERNAL-IP   PORT(S)                      AGE");
    assertThat(run.outLines().get(1))
        .matches(
            "front   NodePort       127\\.96\\.1\\.10   <none>        80:30180/TCP,443:30543/TCP   "
                + AGE);
    assertThat(run.outLines().get(2))
        .matches(
            "lb      LoadBalancer   127\\.96\\.1\\.11   <pending>     8080:30181/TCP               "
                + AGE);
  }

  @Test
  void servicesWideAllNamespacesAndSelector() {
    SbctlHarness.Run wide =
        cluster.sbctl("get", "services", "-A", "-o", "wide", "-l", "tier=front");
    assertThat(wide.outLines().get(0))
        .isEqualTo(
            "NAMESPACE   NAME    TYPE       CLUSTER-IP"
                + "    EXTERNAL-IP   PORT(S)                      AGE   SELECTOR");
    assertThat(wide.outLines().get(1))
        .matches(
            "tables      front   NodePort   127\\.96\\.1\\.10"
                + "   <none>        80:30180/TCP,443:30543/TCP   "
                + AGE
                + " +app=front,tier=web");
    assertThat(wide.outLines()).hasSize(2);
  }

  @Test
  void podsTable() {
    SbctlHarness.Run run = cluster.sbctl("get", "po", "-n", "tables");
    assertThat(run.outLines()).hasSize(3);
    assertThat(run.outLines().get(0))
        .isEqualTo("NAME      READY   STATUS    IP            NODE     AGE");
    assertThat(run.outLines().get(1))
        .matches("front-1   1/1     Running   127\\.0\\.10\\.11   node-1   " + AGE);
    assertThat(run.outLines().get(2))
        .matches("front-2   0/1     Running   127\\.0\\.10\\.12   node-2   " + AGE);
  }

  @Test
  void endpointsTableShowsReadyAddresses() {
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              SbctlHarness.Run run = cluster.sbctl("get", "ep", "-n", "tables");
              assertThat(run.outLines()).as(run.out()).hasSize(3);
              assertThat(run.outLines().get(0))
                  .as(run.out())
                  .isEqualTo("NAME    ENDPOINTS                           AGE");
              assertThat(run.outLines().get(1))
                  .matches("front   127\\.0\\.10\\.11:8080,127\\.0\\.10\\.11:8443   " + AGE);
              assertThat(run.outLines().get(2))
                  .matches("lb      127\\.0\\.10\\.11:8080                    " + AGE);
            });
  }

  @Test
  void nodesTable() throws Exception {
    AutoCloseable node = cluster.node("node-7", "127.0.1.7");
    try {
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                SbctlHarness.Run run = cluster.sbctl("get", "nodes");
                assertThat(run.outLines()).hasSize(2);
                assertThat(run.outLines().get(0)).isEqualTo("NAME     STATUS   ADDRESS     AGE");
                assertThat(run.outLines().get(1))
                    .matches("node-7   Ready    127\\.0\\.1\\.7   " + AGE);
              });
      assertThat(cluster.sbctl("get", "no", "node-7", "-o", "yaml").out())
          .contains(
              "kind: Node",
              "  - address: 127.0.1.7\n    type: InternalIP",
              "  - status: \"True\"\n    type: Ready");
    } finally {
      node.close();
    }
  }

  @Test
  void yamlIsKubernetesShaped() {
    SbctlHarness.Run run = cluster.sbctl("get", "svc", "front", "-n", "tables", "-o", "yaml");
    assertThat(run.out())
        .matches(
            "(?s)apiVersion: v1\nkind: Service\nmetadata:\n"
                + "  creationTimestamp: \"20\\d\\d-[^\"]+Z\"\n  labels:\n    tier: front\n  name: front\n"
                + "  namespace: tables\n  resourceVersion: \"\\d+\"\n  uid: [0-9a-f-]+\nspec:\n"
                + "  clusterIP: 127.96.1.10\n  externalTrafficPolicy: Cluster\n"
                + "  internalTrafficPolicy: Cluster\n  ports:\n"
                + "  - name: http\n    nodePort: 30180\n    port: 80\n    protocol: TCP\n    targetPort: http\n"
                + "  - name: https\n    nodePort: 30543\n    port: 443\n    protocol: TCP\n    targetPort: 8443\n"
                + "  selector:\n    app: front\n    tier: web\n  sessionAffinity: None\n  type: NodePort\n"
                + "status:\n  loadBalancer: \\{}\n");
  }

  @Test
  void yamlAndJsonRoundTripThroughApply(@TempDir Path dir) throws IOException {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                cluster.sbctl("get", "ep", "front", "-n", "tables").out().contains("127.0.10.11"));
    for (String format : new String[] {"yaml", "json"}) {
      for (String type : new String[] {"svc", "pods", "ep"}) {
        SbctlHarness.Run got = cluster.sbctl("get", type, "-n", "tables", "-o", format);
        assertThat(got.exit()).isZero();
        Path file = dir.resolve(type + "." + format);
        Files.writeString(file, got.out(), StandardCharsets.UTF_8);
        SbctlHarness.Run applied = cluster.sbctl("apply", "-f", file.toString());
        assertThat(applied.err()).as(type + " " + format).isEmpty();
        assertThat(applied.outLines())
            .as(type + " " + format)
            .isNotEmpty()
            .allMatch(l -> l.endsWith(" unchanged"));
      }
    }
  }

  @Test
  void describeServiceShowsItsEndpoints() {
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              SbctlHarness.Run run = cluster.sbctl("describe", "svc", "front", "-n", "tables");
              assertThat(run.out())
                  .contains(
                      "Name:                     front\n",
                      "Namespace:                tables\n",
                      "Labels:                   tier=front\n",
                      "Selector:                 app=front,tier=web\n",
                      "Type:                     NodePort\n",
                      "IP:                       127.96.1.10\n",
                      "Port:                     http  80/TCP\n",
                      "TargetPort:               http/TCP\n",
                      "NodePort:                 http  30180/TCP\n",
                      "Data Path:                nftables\n",
                      "Endpoints:                127.0.10.11:8080\n",
                      "Not Ready Endpoints:      127.0.10.12\n",
                      "External Traffic Policy:  Cluster\n");
            });
  }

  @Test
  void describePod() {
    SbctlHarness.Run run = cluster.sbctl("describe", "pod", "front-1", "-n", "tables");
    assertThat(run.out())
        .contains(
            "Name:         front-1\n",
            "Node:         node-1\n",
            "Status:       Running\n",
            "IP:           127.0.10.11\n",
            "Containers:\n  web:\n",
            "    Port:  8080/TCP (http)\n",
            "Conditions:\n  Type    Status\n  Ready   True\n");
  }

  @Test
  void missingObjectsAreNotFound() {
    SbctlHarness.Run run = cluster.sbctl("get", "svc", "nope", "-n", "tables");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "Error from server (NotFound): services \"nope\" not found"
                + " in namespace \"tables\"\n");
    SbctlHarness.Run empty = cluster.sbctl("get", "pods", "-n", "empty");
    assertThat(empty.exit()).isZero();
    assertThat(empty.err()).isEqualTo("No resources found in empty namespace.\n");
  }

  @Test
  void unknownTypeAndFormat() {
    assertThat(cluster.sbctl("get", "deployments").err())
        .startsWith("error: the server doesn't have a resource type \"deployments\"");
    assertThat(cluster.sbctl("get", "svc", "-o", "xml").err())
        .startsWith("error: unable to match a printer suitable for the output format \"xml\"");
  }
}
