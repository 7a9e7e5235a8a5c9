package dev.switchboard.agent.nft;

import static dev.switchboard.agent.Protos.endpoint;
import static dev.switchboard.agent.Protos.endpointPort;
import static dev.switchboard.agent.Protos.endpoints;
import static dev.switchboard.agent.Protos.port;
import static dev.switchboard.agent.Protos.service;
import static dev.switchboard.agent.Protos.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.agent.proxier.DataPath;
import dev.switchboard.agent.proxier.ServicePlan;
import dev.switchboard.agent.proxier.ServicePlanner;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Service;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NftProxierTest {
  private static final ServiceName WEB = new ServiceName("default", "web");
  private final List<String> batches = new ArrayList<>();
  private String answer = "";
  private final NftProxier proxier =
      new NftProxier(
          batch -> {
            batches.add(batch);
            return answer;
          });
  private final ServicePlanner planner = new ServicePlanner("n1", ip("10.0.0.1"));
  private final Endpoints eps =
      endpoints("web", endpoint("10.244.0.1", "n1", true, true, false, endpointPort("http", 8080)));

  @Test
  void theFirstBatchReplacesTheTableAndAResyncOnlyChecksItIsThere() {
    assertThat(proxier.sync(Map.of(WEB, plan(web(""), eps)))).isEmpty();
    assertThat(proxier.sync(Map.of())).isEmpty();

    assertThat(batches).hasSize(2);
    assertThat(batches.get(0))
        .startsWith(
            "add table ip switchboard\ndelete table ip switchboard\ntable ip switchboard {\n")
        .contains("10.96.0.10 . tcp . 80 comment \"default/web:http\"")
        .contains("10.96.0.10 . tcp . 80 . 0 : 10.244.0.1 . 8080");
    assertThat(batches.get(1)).isEqualTo("add chain ip switchboard services\n");
    assertThat(proxier.programmedPorts()).isEqualTo(1);
  }

  @Test
  void aResyncThatFindsTheTableGoneReplacesIt() {
    proxier.sync(Map.of(WEB, plan(web(""), eps)));
    answer = "/dev/stdin:1:15-25: Error: No such file or directory";
    List<String> errors = proxier.sync(Map.of());
    assertThat(batches).hasSize(3);
    assertThat(batches.get(2)).isEqualTo(batches.get(0));
    assertThat(errors).hasSize(1); // the fake refuses the replacement too
  }

  @Test
  void aChangeTheKernelDoesNotSeeSendsNothing() {
    proxier.sync(Map.of(WEB, plan(web(""), eps)));
    ServiceName other = new ServiceName("default", "traced");
    proxier.sync(Map.of(other, planner.plan(other, new ServiceView(web("http"), eps))));
    assertThat(batches).hasSize(1);
  }

  @Test
  void aRefusedBatchIsReportedWithNftsOwnLineAndTheNextSyncReplacesTheTable() {
    proxier.sync(Map.of(WEB, plan(web(""), eps)));
    answer = "/dev/stdin:12:5-20: Error: Could not process rule: No such file or directory";
    assertThat(proxier.sync(Map.of(WEB, ServicePlan.NONE)))
        .containsExactly(
            "nftables: table ip switchboard not updated (the previous rules stay): "
                + "/dev/stdin:12:5-20: Error: Could not process rule: No such file or directory");
    // The incremental batch failed, so the same sync tried a whole replacement, which failed too.
    assertThat(batches).hasSize(3);
    assertThat(batches.get(1))
        .startsWith("delete element ip switchboard service-ips-mod-1 { 10.96.0.10 . tcp . 80 }\n");
    assertThat(batches.get(2)).contains("delete table");
    answer = "";
    assertThat(proxier.sync(Map.of())).isEmpty();
    assertThat(batches.get(3)).isEqualTo(batches.get(2));
  }

  @Test
  void portsThatNeedTheProxyStayOutOfTheTableAndADeletedServiceLeavesIt() {
    proxier.sync(Map.of(WEB, plan(web("http"), eps)));
    assertThat(batches.get(0)).doesNotContain("default/web");
    assertThat(proxier.programmedPorts()).isZero();

    proxier.sync(Map.of(WEB, plan(web(""), eps)));
    assertThat(batches.get(1)).contains("default/web:http");
    proxier.sync(Map.of(WEB, ServicePlan.NONE));
    assertThat(batches.get(2))
        .isEqualTo(
            """
        delete element ip switchboard service-ips-mod-1 { 10.96.0.10 . tcp . 80 }
        delete element ip switchboard service-ips-mod-1-endpoints { 10.96.0.10 . tcp . 80 . 0 }
        delete element ip switchboard hairpin { 10.244.0.1 . 10.244.0.1 }
        flush chain ip switchboard services
        delete chain ip switchboard service-ips-mod-1
        delete map ip switchboard service-ips-mod-1-endpoints
        delete set ip switchboard service-ips-mod-1
        table ip switchboard {
          chain services {
            ip daddr . meta l4proto . th dport @masquerade-ips meta mark set meta mark | 0x4000
            ip daddr . meta l4proto . th dport vmap @service-ips
            fib daddr type local ip daddr != 127.0.0.0/8 jump nodeports
          }
        }
        """);
  }

  @Test
  void grpcAndH2cPortsNeedTheProxyToo() {
    for (String appProtocol : List.of("grpc", "h2c", "kubernetes.io/h2c", "GRPC")) {
      ServicePlan p = plan(web(appProtocol), eps);
      assertThat(p.listeners()).allSatisfy(l -> assertThat(l.h2()).isTrue());
      assertThat(p.listeners())
          .allSatisfy(
              l -> {
                assertThat(DataPath.of(l)).isEqualTo(DataPath.USERSPACE);
                assertThat(DataPath.reason(l)).isEqualTo("appProtocol h2c/grpc: balanced per call");
              });
      proxier.sync(Map.of(WEB, p));
      assertThat(batches.get(batches.size() - 1)).doesNotContain("svc-default/web");
    }
    assertThat(proxier.programmedPorts()).isZero();
  }

  @Test
  void aHairpinEntrySharedByTwoServicesStaysUntilTheLastOneLetsItGo() {
    ServiceName other = new ServiceName("default", "web2");
    Service web2 =
        service("web2", spec("ClusterIP", "10.96.0.11").addPorts(port("http", "TCP", 80, 0)));
    proxier.sync(Map.of(WEB, plan(web(""), eps)));
    proxier.sync(Map.of(other, planner.plan(other, new ServiceView(web2, eps))));
    assertThat(batches.get(1)).doesNotContain("hairpin"); // 10.244.0.1 already had its entry

    proxier.sync(Map.of(WEB, ServicePlan.NONE));
    assertThat(batches.get(2)).doesNotContain("hairpin");
    proxier.sync(Map.of(other, ServicePlan.NONE));
    assertThat(batches.get(3))
        .contains("delete element ip switchboard hairpin { 10.244.0.1 . 10.244.0.1 }\n");
  }

  @Test
  void udpFlowsToAnEndpointThatWentAwayAreForgottenOnceTheRulesAreIn() {
    List<String> deleted = new ArrayList<>();
    NftProxier withConntrack =
        new NftProxier(
            batch -> "",
            (clusterIp, port, endpointIp) -> {
              deleted.add(clusterIp.orElse("*") + ":" + port + " -> " + endpointIp);
              return "";
            });
    Service dns =
        service("dns", spec("NodePort", "10.96.0.10").addPorts(port("dns", "UDP", 53, 30053)));
    Endpoints two =
        endpoints(
            "dns",
            endpoint("10.244.0.1", "n1", true, true, false, endpointPort("dns", 5353)),
            endpoint("10.244.0.2", "n1", true, true, false, endpointPort("dns", 5353)));
    Endpoints one =
        endpoints(
            "dns", endpoint("10.244.0.1", "n1", true, true, false, endpointPort("dns", 5353)));

    withConntrack.sync(Map.of(WEB, planner.plan(WEB, new ServiceView(dns, two))));
    assertThat(deleted).isEmpty();
    withConntrack.sync(Map.of(WEB, planner.plan(WEB, new ServiceView(dns, one))));
    assertThat(deleted).containsExactly("10.96.0.10:53 -> 10.244.0.2", "*:30053 -> 10.244.0.2");
    withConntrack.sync(Map.of(WEB, ServicePlan.NONE));
    assertThat(deleted).endsWith("10.96.0.10:53 -> 10.244.0.1", "*:30053 -> 10.244.0.1");
  }

  @Test
  void whenTwoServicesClaimOneAddressTheFirstByNameHasItUntilItLetsGo() {
    ServiceName a = new ServiceName("default", "a");
    ServiceName b = new ServiceName("default", "b");
    Service same =
        service("x", spec("ClusterIP", "10.96.0.10").addPorts(port("http", "TCP", 80, 0)));
    assertThat(proxier.sync(Map.of(b, planner.plan(b, new ServiceView(same, eps))))).isEmpty();

    assertThat(proxier.sync(Map.of(a, planner.plan(a, new ServiceView(same, eps)))))
        .containsExactly(
            "service default/b port http (ClusterIP TCP 10.96.0.10:80): not programmed: 10.96.0.10 . tcp . 80 "
                + "is already taken by service default/a");
    assertThat(batches.get(1))
        .startsWith("delete element ip switchboard service-ips-mod-1 { 10.96.0.10 . tcp . 80 }\n")
        .contains(
            "add element ip switchboard service-ips-mod-1 "
                + "{ 10.96.0.10 . tcp . 80 comment \"default/a:http\" }\n");
    assertThat(proxier.programmedPorts()).isEqualTo(1);

    assertThat(proxier.sync(Map.of(a, ServicePlan.NONE))).isEmpty();
    assertThat(batches.get(2))
        .contains(
            "add element ip switchboard service-ips-mod-1 "
                + "{ 10.96.0.10 . tcp . 80 comment \"default/b:http\" }\n");
  }

  @Test
  void cleanupDeletesOnlyTheSwitchboardTable() {
    assertThat(proxier.cleanup()).isEmpty();
    assertThat(batches).containsExactly("add table ip switchboard\ndelete table ip switchboard\n");
  }

  private static Service web(String appProtocol) {
    return service(
        "web",
        spec("ClusterIP", "10.96.0.10")
            .addPorts(port("http", "TCP", 80, 0).toBuilder().setAppProtocol(appProtocol)));
  }

  private ServicePlan plan(Service service, Endpoints endpoints) {
    return planner.plan(WEB, new ServiceView(service, endpoints));
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
