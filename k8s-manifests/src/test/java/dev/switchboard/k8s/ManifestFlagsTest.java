package dev.switchboard.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The rendered manifests against the components' real command lines (flags, values, ports). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ManifestFlagsTest {
  private static final List<Manifest> MANIFESTS = new ArrayList<>();
  private static Manifest base;

  @BeforeAll
  static void render() throws Exception {
    for (String target : Kustomize.TARGETS) {
      MANIFESTS.add(Kustomize.render(target));
    }
    base = MANIFESTS.get(0);
  }

  @Test
  void everyArgAndPortOfEveryManifestIsOneTheComponentAccepts() {
    for (Manifest m : MANIFESTS) {
      assertThat(m.containers()).as(m.name()).hasSizeGreaterThanOrEqualTo(4);
      assertThat(ManifestChecks.check(m)).as(m.name()).isEmpty();
    }
  }

  @Test
  void everyNodeAgentRunsInNftablesModeChosenInTheConfigMap() {
    for (Manifest m : MANIFESTS) {
      Manifest.Container agent =
          m.containers().stream()
              .filter(c -> c.where().contains("DaemonSet/node-agent"))
              .findFirst()
              .orElseThrow();
      List<String> problems = new ArrayList<>();
      assertThat(ContainerArgs.args(agent, problems))
          .as(m.name())
          .contains("--proxy-mode=nftables");
      assertThat(problems).as(m.name()).isEmpty();
    }
    Manifest ipvs = base.copy();
    args(ipvs, "DaemonSet", "node-agent")
        .replaceAll(a -> a.startsWith("--proxy-mode=") ? "--proxy-mode=ipvs" : a);
    assertOneNewProblem(ipvs, "DaemonSet/node-agent container node-agent", "--proxy-mode");
  }

  @Test
  void anUnknownFlagIsNamedWithManifestAndContainer() {
    Manifest broken = base.copy();
    args(broken, "DaemonSet", "node-agent").add("--no-such-flag=1");

    assertOneNewProblem(
        broken, "base: DaemonSet/node-agent container node-agent", "--no-such-flag");
  }

  @Test
  void aBadValueIsNamedWithItsFlag() {
    Manifest broken = base.copy();
    List<String> args = args(broken, "Deployment", "control-plane");
    args.replaceAll(a -> a.startsWith("--node-port-range=") ? "--node-port-range=32767-30000" : a);
    Manifest brokenAgent = base.copy();
    args(brokenAgent, "DaemonSet", "node-agent")
        .replaceAll(a -> a.startsWith("--admin-port=") ? "--admin-port=70000" : a);
    Manifest brokenLb = base.copy();
    args(brokenLb, "Deployment", "cloud-lb").add("--health-rise=0");

    assertOneNewProblem(
        broken, "Deployment/control-plane container control-plane", "--node-port-range");
    assertOneNewProblem(
        brokenAgent, "DaemonSet/node-agent container node-agent", "--admin-port: 70000");
    assertOneNewProblem(brokenLb, "Deployment/cloud-lb container cloud-lb", "--health-rise");
  }

  @Test
  void aPortOrProbeTheProcessDoesNotServeIsCaught() {
    Manifest moved = base.copy();
    // The agent moved to another admin port, the probes and containerPort did not follow.
    args(moved, "DaemonSet", "node-agent")
        .replaceAll(a -> a.equals("--admin-port=10356") ? "--admin-port=10400" : a);
    Manifest wrongKind = base.copy();
    Map<String, Object> cp = container(wrongKind, "Deployment", "control-plane");
    cp.put("livenessProbe", Map.of("grpc", Map.of("port", 9441)));

    assertThat(newProblems(moved))
        .anySatisfy(p -> assertThat(p).contains("node-agent").contains("containerPort 10356"))
        .anySatisfy(p -> assertThat(p).contains("node-agent").contains("listens on 10400"))
        .anySatisfy(p -> assertThat(p).contains("readinessProbe httpGet port 10356"));
    assertOneNewProblem(wrongKind, "control-plane", "livenessProbe grpc port 9441 serves HTTP");
    Manifest tlsProbe = base.copy();
    container(tlsProbe, "Deployment", "control-plane")
        .put("readinessProbe", Map.of("grpc", Map.of("port", 9440)));
    assertOneNewProblem(
        tlsProbe, "control-plane", "readinessProbe grpc port 9440 serves GRPC_TLS, not GRPC");
  }

  @Test
  void anEtcdFlagEtcdDoesNotKnowAndAFileOutsideTheMountsAreCaught() {
    Manifest broken = base.copy();
    args(broken, "StatefulSet", "etcd").add("--peer-cert=/etc/etcd/peer/tls.crt");
    Manifest unmounted = base.copy();
    List<String> cpArgs = args(unmounted, "Deployment", "control-plane");
    cpArgs.replaceAll(a -> a.startsWith("--admin-tokens=") ? "--admin-tokens=/etc/tokens" : a);

    assertOneNewProblem(
        broken, "StatefulSet/etcd container etcd", "--peer-cert: not a flag of etcd");
    // Both the mount check and the control plane itself (which cannot read the file) object.
    assertThat(newProblems(unmounted))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("control-plane")
                    .contains("--admin-tokens=/etc/tokens")
                    .contains("in no volume mount"))
        .anySatisfy(
            p -> assertThat(p).contains("control-plane").contains("/etc/tokens: no such file"));
  }

  @Test
  void aMissingTlsFlagIsCaughtByTheComponentsOwnSecurityRule() {
    Manifest broken = base.copy();
    args(broken, "Deployment", "control-plane").removeIf(a -> a.startsWith("--client-ca="));
    Manifest brokenAgent = base.copy();
    args(brokenAgent, "DaemonSet", "node-agent").removeIf(a -> a.startsWith("--tls-key="));

    assertOneNewProblem(
        broken, "Deployment/control-plane container control-plane", "missing --client-ca");
    assertOneNewProblem(
        brokenAgent, "DaemonSet/node-agent container node-agent", "missing --tls-key");
  }

  @Test
  void anUndefinedVariableInArgsIsCaught() {
    Manifest broken = base.copy();
    args(broken, "Deployment", "cloud-lb").add("--name=$(LB_NAME)");

    assertOneNewProblem(
        broken, "Deployment/cloud-lb container cloud-lb", "$(LB_NAME) is not defined");
  }

  /**
   * The broken copy has exactly one problem more than the manifest, naming all of {@code parts}.
   */
  private static void assertOneNewProblem(Manifest broken, String... parts) {
    assertThat(newProblems(broken)).singleElement().asString().contains(parts);
  }

  /** What the checks find in a broken copy beyond what they find in the manifest itself. */
  private static List<String> newProblems(Manifest broken) {
    List<String> known = ManifestChecks.check(base);
    return ManifestChecks.check(broken).stream().filter(p -> !known.contains(p)).toList();
  }

  @SuppressWarnings("unchecked")
  private static List<String> args(Manifest m, String kind, String name) {
    return (List<String>) container(m, kind, name).get("args");
  }

  private static Map<String, Object> container(Manifest m, String kind, String name) {
    return Manifest.list(Manifest.map(m.get(kind, name), "spec", "template", "spec"), "containers")
        .get(0);
  }
}
