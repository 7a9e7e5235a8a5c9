package dev.switchboard.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.controlplane.alloc.ClusterIpRange;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the deployment promises (issue 7), read off the rendered base and dev overlay. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ManifestShapeTest {
  private static Manifest base;
  private static Manifest dev;

  @BeforeAll
  static void render() throws Exception {
    base = Kustomize.render("base");
    dev = Kustomize.render("overlays/dev");
  }

  @Test
  void etcdIsThreeMembersWithPeerAndClientTlsVolumesAndAntiAffinity() {
    Map<String, Object> etcd = base.get("StatefulSet", "etcd");
    assertThat(Manifest.map(etcd, "spec").get("replicas")).isEqualTo(3);
    assertThat(Manifest.map(etcd, "spec").get("serviceName")).isEqualTo("etcd");
    assertThat(Manifest.list(Manifest.map(etcd, "spec"), "volumeClaimTemplates")).hasSize(1);
    assertThat(Manifest.map(pod(etcd), "affinity", "podAntiAffinity"))
        .containsKey("requiredDuringSchedulingIgnoredDuringExecution");
    assertThat(Manifest.map(base.get("Service", "etcd"), "spec").get("clusterIP"))
        .isEqualTo("None");
    List<String> args = Manifest.strings(container(etcd), "args");
    assertThat(args)
        .contains("--client-cert-auth=true", "--peer-client-cert-auth=true")
        .anyMatch(a -> a.startsWith("--listen-client-urls=https://"))
        .anyMatch(a -> a.startsWith("--listen-peer-urls=https://"))
        .anyMatch(a -> a.startsWith("--initial-cluster=etcd-0=https://"));
  }

  @Test
  void controlPlaneRunsTwoReplicasInBaseAndOneInDev() {
    assertThat(Manifest.map(base.get("Deployment", "control-plane"), "spec").get("replicas"))
        .isEqualTo(2);
    assertThat(Manifest.map(dev.get("Deployment", "control-plane"), "spec").get("replicas"))
        .isEqualTo(1);
    assertThat(Manifest.map(dev.get("PodDisruptionBudget", "control-plane"), "spec"))
        .containsEntry("maxUnavailable", 1)
        .doesNotContainKey("minAvailable");
  }

  @Test
  void nodeAgentIsAHostNetworkDaemonSetWithOnlyTheCapabilitiesItNeeds() {
    for (Manifest m : List.of(base, dev)) {
      Map<String, Object> agent = m.get("DaemonSet", "node-agent");
      assertThat(pod(agent).get("hostNetwork")).isEqualTo(true);
      Map<String, Object> sc = Manifest.map(container(agent), "securityContext");
      assertThat(sc.get("privileged")).isEqualTo(false);
      assertThat(sc.get("allowPrivilegeEscalation")).isEqualTo(false);
      assertThat(Manifest.strings(Manifest.map(sc, "capabilities"), "drop")).containsExactly("ALL");
      assertThat(Manifest.strings(Manifest.map(sc, "capabilities"), "add"))
          .containsExactlyInAnyOrder("NET_ADMIN", "NET_BIND_SERVICE");
    }
  }

  @Test
  void clusterDnsListensOnTheServiceCidrsFirstAddressPort53() {
    for (Manifest m : List.of(base, dev)) {
      Map<String, Object> data = Manifest.map(m.get("ConfigMap", "switchboard-config"), "data");
      String dns = String.valueOf(data.get("CLUSTER_DNS"));
      // the address the control plane never hands out: no service can take it
      assertThat(dns)
          .isEqualTo(ClusterIpRange.parse(String.valueOf(data.get("SERVICE_CIDR"))).meshAddress());
      Manifest.Container agent =
          m.containers().stream()
              .filter(c -> c.container().get("name").equals("node-agent"))
              .findFirst()
              .orElseThrow();
      List<String> problems = new java.util.ArrayList<>();
      assertThat(ContainerArgs.args(agent, problems))
          .contains("--dns-address=" + dns, "--dns-port=53");
      assertThat(problems).isEmpty();
      List<Map<String, Object>> ports =
          Manifest.list(agent.container(), "ports").stream()
              .filter(p -> Integer.valueOf(53).equals(p.get("containerPort")))
              .toList();
      assertThat(ports).extracting(p -> p.get("protocol")).containsExactlyInAnyOrder("UDP", "TCP");
      assertThat(ports).allSatisfy(p -> assertThat(p.get("hostIP")).isEqualTo(dns));
    }
  }

  @Test
  void cloudLbRunsOnEdgeNodesOnly() {
    Map<String, Object> pod = pod(base.get("Deployment", "cloud-lb"));
    assertThat(Manifest.map(pod, "nodeSelector")).containsEntry("switchboard.dev/edge", "true");
    assertThat(Manifest.list(pod, "tolerations"))
        .singleElement()
        .satisfies(t -> assertThat(t).containsEntry("key", "switchboard.dev/edge"));
  }

  @Test
  void everyContainerIsBoundedReadOnlyAndNonRootWhereItCanBe() {
    for (Manifest m : List.of(base, dev)) {
      for (Manifest.Container c : m.containers()) {
        Map<String, Object> resources = Manifest.map(c.container(), "resources");
        assertThat(Manifest.map(resources, "requests")).as(c.where()).containsKeys("cpu", "memory");
        assertThat(Manifest.map(resources, "limits")).as(c.where()).containsKey("memory");
        Map<String, Object> sc = Manifest.map(c.container(), "securityContext");
        assertThat(sc.get("readOnlyRootFilesystem")).as(c.where()).isEqualTo(true);
        assertThat(sc.get("allowPrivilegeEscalation")).as(c.where()).isEqualTo(false);
        assertThat(Manifest.strings(Manifest.map(sc, "capabilities"), "drop"))
            .as(c.where())
            .containsExactly("ALL");
        boolean needsCapabilities =
            !Manifest.strings(Manifest.map(sc, "capabilities"), "add").isEmpty();
        assertThat(Manifest.map(c.podSpec(), "securityContext").get("runAsNonRoot"))
            .as(c.where())
            .isEqualTo(needsCapabilities ? null : true);
        if (ComponentCli.forImage(c.image()).isPresent()) {
          // The JVM components: Netty extracts its native library to /tmp.
          assertThat(Manifest.list(c.container(), "volumeMounts"))
              .as(c.where())
              .anySatisfy(v -> assertThat(v).containsEntry("mountPath", "/tmp"));
        }
      }
    }
  }

  @Test
  void everyDisruptableWorkloadHasABudgetAndNoServiceAccountTokenIsMounted() {
    for (String name : List.of("etcd", "control-plane", "cloud-lb")) {
      assertThat(base.get("PodDisruptionBudget", name)).isNotNull();
    }
    for (Manifest.Container c : base.containers()) {
      assertThat(c.podSpec().get("automountServiceAccountToken")).as(c.where()).isEqualTo(false);
      String account = String.valueOf(c.podSpec().get("serviceAccountName"));
      assertThat(base.get("ServiceAccount", account)).as(c.where()).isNotNull();
    }
  }

  @Test
  void everySecretTheManifestsUseIsDescribedInTheDeployGuide() throws Exception {
    String guide = Files.readString(Processes.root().resolve("docs/deploy.md"));
    for (Manifest.Container c : base.containers()) {
      for (Map<String, Object> volume : Manifest.list(c.podSpec(), "volumes")) {
        Object secret = Manifest.map(volume, "secret").get("secretName");
        if (secret != null) {
          assertThat(guide)
              .as("docs/deploy.md names Secret %s (%s)", secret, c.where())
              .contains("kubectl -n switchboard create secret generic " + secret + " ");
        }
      }
    }
  }

  @Test
  void everyFileAnArgNamesIsAKeyOfTheSecretTheGuideCreates() throws Exception {
    String guide = Files.readString(Processes.root().resolve("docs/deploy.md"));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "create secret generic (\\S+)((?: --from-file=[^=\\s]+=\\S+)+)")
            .matcher(guide);
    Map<String, List<String>> keys = new java.util.HashMap<>();
    while (m.find()) {
      keys.put(
          m.group(1),
          java.util.Arrays.stream(m.group(2).trim().split(" "))
              .map(
                  f ->
                      f.substring("--from-file=".length(), f.indexOf('=', "--from-file=".length())))
              .toList());
    }
    int checked = 0;
    for (Manifest.Container c : base.containers()) {
      for (Map<String, Object> mount : Manifest.list(c.container(), "volumeMounts")) {
        String secret =
            Manifest.list(c.podSpec(), "volumes").stream()
                .filter(v -> v.get("name").equals(mount.get("name")))
                .map(v -> String.valueOf(Manifest.map(v, "secret").get("secretName")))
                .filter(name -> !name.equals("null"))
                .findFirst()
                .orElse(null);
        if (secret == null) {
          continue;
        }
        String dir = mount.get("mountPath") + "/";
        for (String arg : Manifest.strings(c.container(), "args")) {
          String value = arg.substring(arg.indexOf('=') + 1);
          if (value.startsWith(dir)) {
            assertThat(keys.get(secret))
                .as(
                    "%s: %s reads %s from Secret %s",
                    c.where(), arg, value.substring(dir.length()), secret)
                .contains(value.substring(dir.length()));
            checked++;
          }
        }
      }
    }
    assertThat(checked).as("files read from Secrets").isGreaterThanOrEqualTo(16);
  }

  private static Map<String, Object> pod(Map<String, Object> workload) {
    return Manifest.map(workload, "spec", "template", "spec");
  }

  private static Map<String, Object> container(Map<String, Object> workload) {
    return Manifest.list(pod(workload), "containers").get(0);
  }
}
