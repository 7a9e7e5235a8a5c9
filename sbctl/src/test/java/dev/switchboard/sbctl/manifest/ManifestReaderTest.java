package dev.switchboard.sbctl.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestReaderTest {
  private static ManifestReader.Result parse(String yaml) {
    return ManifestReader.parseText("web.yaml", yaml);
  }

  @Test
  void readsEveryModelledServiceField() {
    ManifestReader.Result r =
        ManifestReader.read(
            List.of(Path.of("src/test/resources/manifests/web.yaml").toString()), false, null);
    assertThat(r.errors()).isEmpty();
    assertThat(r.manifests())
        .extracting(Manifest::kind)
        .containsExactly("Service", "Service", "Pod", "Pod", "EndpointSlice", "Service");
    Service web = r.manifests().get(0).service();
    assertThat(web.getMetadata().getLabelsMap()).containsEntry("tier", "front");
    assertThat(web.getMetadata().getAnnotationsMap())
        .containsEntry("description", "the web front end");
    assertThat(web.getSpec().getType()).isEqualTo("NodePort");
    assertThat(web.getSpec().getPorts(0).getTargetPort())
        .isEqualTo(IntOrString.newBuilder().setStrValue("http").build());
    assertThat(web.getSpec().getPorts(0).getNodePort()).isEqualTo(30080);
    assertThat(web.getSpec().getPorts(0).getAppProtocol()).isEqualTo("http");
    assertThat(web.getSpec().getPorts(1).getTargetPort().getIntValue()).isEqualTo(8443);
    assertThat(web.getSpec().getSessionAffinityConfig().getClientIp().getTimeoutSeconds())
        .isEqualTo(600);
    Service lb = r.manifests().get(1).service();
    assertThat(lb.getSpec().getLoadBalancerSourceRangesList())
        .containsExactly("127.0.0.0/8", "10.0.0.0/8");
    assertThat(lb.getSpec().getExternalTrafficPolicy()).isEqualTo("Local");
    Pod pod = r.manifests().get(2).pod();
    assertThat(pod.getStatus().getReady()).isTrue();
    assertThat(pod.getStatus().getPodIp()).isEqualTo("127.0.10.1");
    assertThat(pod.getSpec().getContainers(0).getPortsList()).hasSize(2);
    EndpointSliceManifest.Slice slice = r.manifests().get(4).slice();
    assertThat(slice.service()).isEqualTo("db");
    assertThat(slice.endpoints())
        .extracting(Endpoint::getAddress)
        .containsExactly("127.0.20.1", "127.0.20.2");
    assertThat(slice.endpoints().get(1).getConditions().getReady()).isFalse();
    assertThat(slice.endpoints().get(0).getPorts(0).getPort()).isEqualTo(5432);
  }

  @Test
  void acceptsWhatKubectlGetPrintsFromARealCluster() {
    ManifestReader.Result r =
        ManifestReader.read(
            List.of("src/test/resources/manifests/kubectl-get-output.yaml"), false, null);
    assertThat(r.errors()).isEmpty();
    assertThat(r.manifests().get(0).service().getSpec().getSelectorMap())
        .containsEntry("app", "api");
  }

  @Test
  void unknownFieldNamesFileDocumentObjectAndPathWithASuggestion() {
    ManifestReader.Result r =
        parse(
            """
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        status: {podIP: 127.0.0.1}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          ports:
          - port: 80
            nodeport: 30080
          selecter: {app: web}
        """);
    assertThat(r.errors())
        .containsExactly(
            "web.yaml: document 2 (Service \"web\"): spec.ports[0].nodeport: unknown field"
                + " (did you mean nodePort?)",
            "web.yaml: document 2 (Service \"web\"): spec.selecter: unknown field"
                + " (did you mean selector?)");
    assertThat(r.manifests()).extracting(Manifest::name).containsExactly("p");
  }

  @Test
  void wrongTypesSayWhatWasExpected() {
    ManifestReader.Result r =
        parse(
            """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          labels: {enabled: true}
        spec:
          ports:
          - port: "eighty"
          publishNotReadyAddresses: "yes"
        """);
    assertThat(r.errors())
        .containsExactly(
            "web.yaml: document 1 (Service \"web\"): metadata.labels[enabled]: invalid type:"
                + " expected a string, got boolean true (quote it: \"true\")",
            "web.yaml: document 1 (Service \"web\"): spec.ports[0].port: invalid type:"
                + " expected an integer, got string \"eighty\"",
            "web.yaml: document 1 (Service \"web\"): spec.publishNotReadyAddresses: invalid type:"
                + " expected a boolean (true or false), got string \"yes\"");
  }

  @Test
  void syntaxErrorsGiveTheLine() {
    ManifestReader.Result r =
        parse(
            """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: db
         spec: {}
        """);
    assertThat(r.errors()).hasSize(1);
    assertThat(r.errors().get(0))
        .startsWith("web.yaml: document 2: line 10, column 2: YAML syntax error: ");
  }

  @Test
  void unservedKindsAreSkippedAndWrongApiVersionsRefused() {
    ManifestReader.Result r =
        parse(
            """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        ---
        apiVersion: v1
        kind: EndpointSlice
        metadata: {name: x}
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: y}
        ---
        just a string
        ---
        kind: ConfigMap
        metadata: {name: z}
        ---
        apiVersion: v1
        kind: List
        items:
        - {apiVersion: apps/v1, kind: Deployment, metadata: {name: api}}
        """);
    assertThat(r.errors())
        .containsExactly(
            "web.yaml: document 2 (EndpointSlice \"x\"): apiVersion: unsupported value string \"v1\""
                + " (EndpointSlice is discovery.k8s.io/v1)",
            "web.yaml: document 4: expected a Kubernetes object (a mapping with apiVersion and kind),"
                + " got string \"just a string\"",
            "web.yaml: document 5 (ConfigMap \"z\"): apiVersion: required");
    assertThat(r.skipped())
        .containsExactly(
            "Deployment \"web\": not served by Switchboard (it applies v1 Service, v1 Pod,"
                + " discovery.k8s.io/v1 EndpointSlice)",
            "Endpoints \"y\": not served by Switchboard (it applies v1 Service, v1 Pod,"
                + " discovery.k8s.io/v1 EndpointSlice): use a discovery.k8s.io/v1 EndpointSlice instead",
            "Deployment \"api\": not served by Switchboard (it applies v1 Service, v1 Pod,"
                + " discovery.k8s.io/v1 EndpointSlice)");
    assertThat(r.manifests()).isEmpty();
  }

  @Test
  void fieldsThatWouldChangeBehaviourAreRefusedNotIgnored() {
    ManifestReader.Result r =
        parse(
            """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          externalIPs: [1.2.3.4]
          ports: [{port: 80, targetPort: 99999999999}]
        """);
    assertThat(r.errors())
        .containsExactly(
            "web.yaml: document 1 (Service \"web\"): spec.ports[0].targetPort: invalid value"
                + " 99999999999: out of range for a 32-bit integer",
            "web.yaml: document 1 (Service \"web\"): spec.externalIPs: not supported by Switchboard:"
                + " use type LoadBalancer or NodePort");
  }

  @Test
  void requiredFieldsAndServiceNameLabel() {
    ManifestReader.Result r =
        parse(
            """
        apiVersion: v1
        kind: Service
        spec: {ports: [{name: x}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: s}
        addressType: IPv6
        endpoints: [{conditions: {}}]
        """);
    assertThat(r.errors())
        .containsExactly(
            "web.yaml: document 1 (Service): metadata.name: required",
            "web.yaml: document 1 (Service): spec.ports[0].port: required",
            "web.yaml: document 2 (EndpointSlice \"s\"): metadata.labels[kubernetes.io/service-name]:"
                + " required: names the selector-less service these endpoints belong to",
            "web.yaml: document 2 (EndpointSlice \"s\"): addressType: not supported by Switchboard:"
                + " \"IPv6\" (only IPv4)",
            "web.yaml: document 2 (EndpointSlice \"s\"): endpoints[0].addresses: required");
  }

  @Test
  void podReadinessAndTerminationComeFromConditionsAndDeletionTimestamp() {
    ManifestReader.Result r =
        parse(
            """
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
          deletionTimestamp: "2026-01-01T00:00:00Z"
        spec:
          restartPolicy: Always
          containers: [{name: c, image: busybox, env: [{name: A, value: b}]}]
        status:
          podIP: 127.0.10.9
          conditions:
          - {type: PodScheduled, status: "True"}
          - {type: Ready, status: "False"}
        """);
    assertThat(r.errors()).isEmpty();
    Pod pod = r.manifests().get(0).pod();
    assertThat(pod.getStatus().getReady()).isFalse();
    assertThat(pod.getStatus().getTerminating()).isTrue();
  }

  @Test
  void listItemsAreReadAndNamedInErrors() {
    ManifestReader.Result r =
        parse(
            """
        apiVersion: v1
        kind: List
        metadata: {resourceVersion: ""}
        items:
        - apiVersion: v1
          kind: Service
          metadata: {name: a}
          spec: {ports: [{port: 80}]}
        - apiVersion: v1
          kind: Service
          metadata: {name: b}
          spec: {portz: []}
        """);
    assertThat(r.manifests()).extracting(Manifest::name).containsExactly("a");
    assertThat(r.errors())
        .containsExactly(
            "web.yaml: document 1, items[1] (Service \"b\"):"
                + " spec.portz: unknown field (did you mean ports?)");
  }

  @Test
  void emptyDocumentsAndJsonAreFine() {
    ManifestReader.Result r =
        parse(
            """
        ---
        # nothing here
        ---
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "j"},
         "spec": {"ports": [{"port": 80, "targetPort": "http"}]}}
        """);
    assertThat(r.errors()).isEmpty();
    assertThat(r.manifests()).singleElement().extracting(Manifest::document).isEqualTo(2);
  }

  @Test
  void missingPathsAreReported() {
    ManifestReader.Result r = ManifestReader.read(List.of("no-such.yaml"), false, null);
    assertThat(r.errors()).containsExactly("the path \"no-such.yaml\" does not exist");
  }
}
