package dev.switchboard.agent.nft;

import static dev.switchboard.agent.Protos.endpoint;
import static dev.switchboard.agent.Protos.endpointPort;
import static dev.switchboard.agent.Protos.endpoints;
import static dev.switchboard.agent.Protos.port;
import static dev.switchboard.agent.Protos.service;
import static dev.switchboard.agent.Protos.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.agent.proxier.ListenerPlan;
import dev.switchboard.agent.proxier.ServicePlanner;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.v1.ClientIPConfig;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.LoadBalancerStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceStatus;
import dev.switchboard.v1.SessionAffinityConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NftRulesetTest {
  private static final ServiceName WEB = new ServiceName("default", "web");
  private static final ServiceName DB = new ServiceName("prod", "db");
  private final ServicePlanner planner = new ServicePlanner("n1", ip("10.0.0.1"));

  @Test
  void aClusterIpServiceIsASetEntryAndItsEndpointsEntriesOfADataMapPickedAtRandom() {
    Service web =
        service("web", spec("ClusterIP", "10.96.0.10").addPorts(port("http", "TCP", 80, 0)));
    Endpoints eps =
        endpoints(
            "web",
            endpoint("10.244.0.1", "n1", true, true, false, endpointPort("http", 8080)),
            endpoint("10.244.0.2", "n2", true, true, false, endpointPort("http", 8080)));

    String table = render(WEB, web, eps).table();

    assertThat(table).startsWith("table ip switchboard {\n").endsWith("}\n");
    // Ports with two endpoints: a set, the map of their endpoints by index, and one chain whose
    // rule picks the index with numgen.
    assertThat(table)
        .contains(
            """
          set service-ips-mod-2 {
            type ipv4_addr . inet_proto . inet_service
            elements = {
              10.96.0.10 . tcp . 80 comment "default/web:http"
            }
          }
          map service-ips-mod-2-endpoints {
            typeof ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport
            elements = {
              10.96.0.10 . tcp . 80 . 0 : 10.244.0.1 . 8080,
              10.96.0.10 . tcp . 80 . 1 : 10.244.0.2 . 8080
            }
          }
        """);
    assertThat(table)
        .contains(
            """
          chain services {
            ip daddr . meta l4proto . th dport @masquerade-ips meta mark set meta mark | 0x4000
            ip daddr . meta l4proto . th dport vmap @service-ips
            ip daddr . meta l4proto . th dport @service-ips-mod-2 goto service-ips-mod-2
            fib daddr type local ip daddr != 127.0.0.0/8 jump nodeports
          }
        """)
        .contains(
            """
          chain service-ips-mod-2 {
            dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @service-ips-mod-2-endpoints
          }
        """);
    // Hairpin (a pod reaching itself through its service) by one set entry per endpoint address.
    assertThat(table)
        .contains(
            """
          set hairpin {
            type ipv4_addr . ipv4_addr
            elements = { 10.244.0.1 . 10.244.0.1,
              10.244.0.2 . 10.244.0.2 }
          }
        """)
        .contains("    ct status dnat ip saddr . ip daddr @hairpin jump mark-for-masquerade\n");
    assertThat(table)
        .contains(
            """
          chain nat-output {
            type nat hook output priority -100; policy accept;
            jump services
          }
        """);
    assertThat(table).contains("type nat hook prerouting priority dstnat; policy accept;");
    assertThat(table)
        .doesNotContain("ext-")
        .doesNotContain("svc-")
        .doesNotContain("affinity-")
        .doesNotContain("ep-");
  }

  @Test
  void aNodePortWithClusterPolicyIsMatchedOnLocalAddressesAndMasqueraded() {
    Service web =
        service("web", spec("NodePort", "10.96.0.10").addPorts(port("dns", "UDP", 53, 30053)));
    Endpoints eps =
        endpoints(
            "web", endpoint("10.244.0.1", "n2", true, true, false, endpointPort("dns", 5353)));

    String table = render(WEB, web, eps).table();

    assertThat(table)
        .contains("      udp . 30053 . 0 : 10.244.0.1 . 5353\n")
        .contains("      udp . 30053 comment \"default/web:dns\"\n");
    assertThat(table)
        .contains(
            """
          set masquerade-nodeports {
            type inet_proto . inet_service
            elements = {
              udp . 30053
            }
          }
        """)
        .contains(
            """
          chain nodeports {
            meta l4proto . th dport @masquerade-nodeports meta mark set meta mark | 0x4000
            meta l4proto . th dport vmap @service-nodeports
            meta l4proto . th dport @service-nodeports-mod-1 goto service-nodeports-mod-1
          }
        """)
        .contains(
            "    dnat ip to meta l4proto . th dport . numgen random mod 1 map "
                + "@service-nodeports-mod-1-endpoints\n");
    assertThat(table)
        .contains(
            """
          chain masquerading {
            type nat hook postrouting priority srcnat; policy accept;
            ct status dnat ip saddr . ip daddr @hairpin jump mark-for-masquerade
            meta mark & 0x4000 == 0 return
            meta mark set meta mark ^ 0x4000
            masquerade fully-random
          }
        """);
  }

  @Test
  void loadBalancerIngressIpsAreMatchedByAddressAndMasqueradedAsTheNodePort() {
    Service lb =
        service("web", spec("LoadBalancer", "10.96.0.10").addPorts(port("http", "TCP", 80, 30080)))
            .toBuilder()
            .setStatus(
                ServiceStatus.newBuilder()
                    .setLoadBalancer(
                        LoadBalancerStatus.newBuilder()
                            .addIngress(LoadBalancerIngress.newBuilder().setIp("203.0.113.7"))
                            .addIngress(
                                LoadBalancerIngress.newBuilder().setHostname("lb.example.com"))))
            .build();
    Endpoints eps =
        endpoints(
            "web", endpoint("10.244.0.1", "n2", true, true, false, endpointPort("http", 8080)));

    NftRuleset.Rendered rendered = render(WEB, lb, eps);

    assertThat(rendered.errors()).isEmpty();
    assertThat(rendered.ports()).isEqualTo(3);
    // The ClusterIP, the LB IP (masqueraded: policy Cluster) and the NodePort, one endpoint each.
    assertThat(rendered.table())
        .contains(
            """
              10.96.0.10 . tcp . 80 . 0 : 10.244.0.1 . 8080,
              203.0.113.7 . tcp . 80 . 0 : 10.244.0.1 . 8080
        """)
        .contains("      tcp . 30080 . 0 : 10.244.0.1 . 8080\n")
        .contains(
            """
          set masquerade-ips {
            type ipv4_addr . inet_proto . inet_service
            elements = {
              203.0.113.7 . tcp . 80
            }
          }
        """);
  }

  @Test
  void trafficPolicyLocalUsesOnlyThisNodesEndpointsAndKeepsTheClientAddress() {
    Service web =
        service(
            "web",
            spec("NodePort", "10.96.0.10")
                .setExternalTrafficPolicy("Local")
                .addPorts(port("http", "TCP", 80, 30080)));
    Endpoints eps =
        endpoints(
            "web",
            endpoint("10.244.0.1", "n1", true, true, false, endpointPort("http", 8080)),
            endpoint("10.244.1.1", "n2", true, true, false, endpointPort("http", 8080)));

    String table = render(WEB, web, eps).table();

    // The NodePort has this node's endpoint only and is not masqueraded.
    assertThat(table)
        .contains(
            """
          map service-nodeports-mod-1-endpoints {
            typeof meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport
            elements = {
              tcp . 30080 . 0 : 10.244.0.1 . 8080
            }
          }
        """)
        .contains("  set masquerade-nodeports {\n    type inet_proto . inet_service\n  }\n");
    // The ClusterIP (policy Cluster) still spreads over both.
    assertThat(table)
        .contains(
            """
              10.96.0.10 . tcp . 80 . 0 : 10.244.0.1 . 8080,
              10.96.0.10 . tcp . 80 . 1 : 10.244.1.1 . 8080
        """);
  }

  @Test
  void terminatingEndpointsAreUsedOnlyWhenNoneIsReady() {
    Service web =
        service("web", spec("ClusterIP", "10.96.0.10").addPorts(port("http", "TCP", 80, 0)));
    Endpoints mixed =
        endpoints(
            "web",
            endpoint("10.244.0.1", "n1", true, true, false, endpointPort("http", 8080)),
            endpoint("10.244.0.2", "n1", false, true, true, endpointPort("http", 8080)));
    Endpoints draining =
        endpoints(
            "web",
            endpoint("10.244.0.2", "n1", false, true, true, endpointPort("http", 8080)),
            endpoint("10.244.0.3", "n1", false, false, true, endpointPort("http", 8080)));

    assertThat(render(WEB, web, mixed).table())
        .contains("      10.96.0.10 . tcp . 80 . 0 : 10.244.0.1 . 8080\n")
        .doesNotContain("10.244.0.2");
    assertThat(render(WEB, web, draining).table())
        .contains("      10.96.0.10 . tcp . 80 . 0 : 10.244.0.2 . 8080\n")
        .doesNotContain("10.244.0.3");
  }

  @Test
  void aPortWithoutEndpointsIsRejectedNotDropped() {
    Service web =
        service("web", spec("NodePort", "10.96.0.11").addPorts(port("http", "TCP", 80, 30081)));

    String table = render(WEB, web, null).table();

    assertThat(table)
        .contains(
            """
          set no-endpoint-services {
            type ipv4_addr . inet_proto . inet_service
            elements = {
              10.96.0.11 . tcp . 80 comment "default/web:http"
            }
          }
          set no-endpoint-nodeports {
            type inet_proto . inet_service
            elements = {
              tcp . 30081 comment "default/web:http"
            }
          }
        """);
    assertThat(table)
        .contains(
            "    ip daddr . meta l4proto . th dport @no-endpoint-services goto reject-chain\n");
    assertThat(table)
        .contains(
            """
          chain reject-chain {
            meta l4proto tcp reject with tcp reset
            reject with icmp type port-unreachable
          }
        """);
    assertThat(table)
        .contains(
            """
          chain filter-output {
            type filter hook output priority -110; policy accept;
            ct state new jump endpoints-check
          }
        """);
    assertThat(table).doesNotContain("-mod-").doesNotContain("10.96.0.11 . tcp . 80 . 0");
  }

  @Test
  void clientIpAffinityChecksEachEndpointsSetBeforePickingAndRefreshesItOnUse() {
    Service web =
        service(
            "web",
            spec("ClusterIP", "10.96.0.10")
                .setSessionAffinity("ClientIP")
                .setSessionAffinityConfig(
                    SessionAffinityConfig.newBuilder()
                        .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(60)))
                .addPorts(port("http", "TCP", 80, 0)));
    Endpoints eps =
        endpoints(
            "web",
            endpoint("10.244.0.1", "n1", true, true, false, endpointPort("http", 8080)),
            endpoint("10.244.0.2", "n1", true, true, false, endpointPort("http", 8080)));

    String table = render(WEB, web, eps).table();

    assertThat(table)
        .contains(
            """
          set affinity-default/web/tcp/http/10.244.0.1/8080 {
            type ipv4_addr
            flags dynamic,timeout
            timeout 60s
          }
        """);
    assertThat(table)
        .contains(
            "  chain svc-default/web/tcp/http {\n"
                + "    ip saddr @affinity-default/web/tcp/http/10.244.0.1/8080 goto ep-default/web/tcp/http/10.244.0.1/8080\n"
                + "    ip saddr @affinity-default/web/tcp/http/10.244.0.2/8080 goto ep-default/web/tcp/http/10.244.0.2/8080\n"
                + "    numgen random mod 2 vmap");
    assertThat(table)
        .contains(
            """
          chain ep-default/web/tcp/http/10.244.0.2/8080 {
            update @affinity-default/web/tcp/http/10.244.0.2/8080 { ip saddr }
            meta l4proto tcp dnat to 10.244.0.2:8080
          }
        """);
  }

  @Test
  void servicesAreRenderedInNameOrderSoTheSameStateGivesTheSameText() {
    Service web =
        service("web", spec("ClusterIP", "10.96.0.10").addPorts(port("http", "TCP", 80, 0)));
    Service db =
        service("db", spec("ClusterIP", "10.96.0.20").addPorts(port("pg", "TCP", 5432, 0)));
    List<ListenerPlan> both = new ArrayList<>(plan(WEB, web, null));
    both.addAll(plan(DB, db, null));
    List<ListenerPlan> reversed = new ArrayList<>(both);
    java.util.Collections.reverse(reversed);

    String table = NftRuleset.render(both).table();

    assertThat(NftRuleset.render(reversed).table()).isEqualTo(table);
    // default/web before prod/db, whatever order they came in.
    assertThat(table.indexOf("10.96.0.10 . tcp . 80"))
        .isLessThan(table.indexOf("10.96.0.20 . tcp . 5432"));
    assertThat(NftRuleset.render(both).ports()).isEqualTo(2);
  }

  @Test
  void headlessServicesAndAnEmptyStateStillGiveTheWholeSkeleton() {
    Service headless =
        service("web", spec("ClusterIP", "None").addPorts(port("http", "TCP", 80, 0)));

    NftRuleset.Rendered rendered = render(WEB, headless, null);

    assertThat(rendered.table()).isEqualTo(NftRuleset.render(List.of()).table());
    assertThat(rendered.table())
        .contains(
            "  map service-ips {\n    type ipv4_addr . inet_proto . inet_service : verdict\n  }\n");
    assertThat(rendered.ports()).isZero();
    assertThat(rendered.errors()).isEmpty();
  }

  @Test
  void ipv6IsReportedNotProgrammed() {
    Service web =
        service("web", spec("ClusterIP", "fd00::10").addPorts(port("http", "TCP", 80, 0)));

    NftRuleset.Rendered rendered = render(WEB, web, null);

    assertThat(rendered.errors())
        .containsExactly(
            "service default/web port http (ClusterIP TCP fd00:0:0:0:0:0:0:10:80): not programmed: "
                + "nftables mode serves IPv4 only");
    assertThat(rendered.table()).doesNotContain("fd00");
  }

  @Test
  void batchesReplaceOrDeleteOnlyTheSwitchboardTable() {
    NftRuleset.Rendered empty = NftRuleset.render(List.of());

    assertThat(NftBatch.delete())
        .isEqualTo("add table ip switchboard\ndelete table ip switchboard\n");
    assertThat(NftBatch.replace(empty)).isEqualTo(NftBatch.delete() + empty.table());
  }

  @Test
  void anIncrementalBatchKeepsAffinitySetsThatStayAndDeletesWhatWentAway() {
    Service sticky =
        service(
            "web",
            spec("ClusterIP", "10.96.0.10")
                .setSessionAffinity("ClientIP")
                .setSessionAffinityConfig(
                    SessionAffinityConfig.newBuilder()
                        .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(60)))
                .addPorts(port("http", "TCP", 80, 0)));
    Endpoints two =
        endpoints(
            "web",
            endpoint("10.244.0.1", "n1", true, true, false, endpointPort("http", 8080)),
            endpoint("10.244.0.2", "n1", true, true, false, endpointPort("http", 8080)));
    Endpoints one =
        endpoints(
            "web", endpoint("10.244.0.1", "n1", true, true, false, endpointPort("http", 8080)));
    NftRuleset.Rendered before = render(WEB, sticky, two);
    NftRuleset.Rendered after = render(WEB, sticky, one);

    assertThat(before.affinitySets())
        .containsOnlyKeys(
            "affinity-default/web/tcp/http/10.244.0.1/8080",
            "affinity-default/web/tcp/http/10.244.0.2/8080");
    assertThat(NftBatch.incremental(before, after))
        .isEqualTo(
            """
        delete element ip switchboard hairpin { 10.244.0.2 . 10.244.0.2 }
        flush chain ip switchboard ep-default/web/tcp/http/10.244.0.2/8080
        flush chain ip switchboard svc-default/web/tcp/http
        delete chain ip switchboard ep-default/web/tcp/http/10.244.0.2/8080
        delete set ip switchboard affinity-default/web/tcp/http/10.244.0.2/8080
        table ip switchboard {
          chain svc-default/web/tcp/http {
            ip saddr @affinity-default/web/tcp/http/10.244.0.1/8080 goto ep-default/web/tcp/http/10.244.0.1/8080
            numgen random mod 1 vmap { 0 : goto ep-default/web/tcp/http/10.244.0.1/8080 }
          }
        }
        """);

    // A new timeout makes the set again: the kernel may not change it in place.
    Service longer =
        sticky.toBuilder()
            .setSpec(
                sticky.getSpec().toBuilder()
                    .setSessionAffinityConfig(
                        SessionAffinityConfig.newBuilder()
                            .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(120))))
            .build();
    assertThat(NftBatch.incremental(after, render(WEB, longer, one)))
        .contains("delete set ip switchboard affinity-default/web/tcp/http/10.244.0.1/8080\n")
        .contains(
            "  set affinity-default/web/tcp/http/10.244.0.1/8080 {\n    type ipv4_addr\n"
                + "    flags dynamic,timeout\n    timeout 120s\n  }\n")
        .doesNotContain("delete chain");
  }

  @Test
  void anIncrementalBatchTouchesOnlyTheServiceThatChanged() {
    Service web =
        service("web", spec("ClusterIP", "10.96.0.10").addPorts(port("http", "TCP", 80, 0)));
    Service db =
        service("db", spec("ClusterIP", "10.96.0.20").addPorts(port("pg", "TCP", 5432, 0)));
    Endpoints dbEps =
        endpoints("db", endpoint("10.244.1.1", "n1", true, true, false, endpointPort("pg", 5432)));
    Endpoints before =
        endpoints(
            "web",
            endpoint("10.244.0.1", "n1", true, true, false, endpointPort("http", 8080)),
            endpoint("10.244.0.2", "n1", true, true, false, endpointPort("http", 8080)));
    Endpoints after =
        endpoints(
            "web",
            endpoint("10.244.0.1", "n1", true, true, false, endpointPort("http", 8080)),
            endpoint("10.244.0.3", "n1", true, true, false, endpointPort("http", 8080)));
    List<ListenerPlan> dbPlan = plan(DB, db, dbEps);
    List<ListenerPlan> one = new ArrayList<>(plan(WEB, web, before));
    one.addAll(dbPlan);
    List<ListenerPlan> two = new ArrayList<>(plan(WEB, web, after));
    two.addAll(dbPlan);
    NftRuleset.Rendered applied = NftRuleset.render(one);

    assertThat(NftBatch.incremental(applied, NftRuleset.render(one))).isEmpty();
    // One endpoint replaced: one entry of the endpoint map, nothing validated, no chain.
    assertThat(NftBatch.incremental(applied, NftRuleset.render(two)))
        .isEqualTo(
            """
        delete element ip switchboard service-ips-mod-2-endpoints { 10.96.0.10 . tcp . 80 . 1 }
        delete element ip switchboard hairpin { 10.244.0.2 . 10.244.0.2 }
        add element ip switchboard service-ips-mod-2-endpoints { 10.96.0.10 . tcp . 80 . 1 : 10.244.0.3 . 8080 }
        add element ip switchboard hairpin { 10.244.0.3 . 10.244.0.3 }
        """);
    // The service losing its last endpoint moves its entry to the reject set; no port has two
    // endpoints any more, so that count's set, map and chain go (and the rule going there).
    List<ListenerPlan> none = new ArrayList<>(plan(WEB, web, null));
    none.addAll(dbPlan);
    assertThat(NftBatch.incremental(applied, NftRuleset.render(none)))
        .startsWith("delete element ip switchboard service-ips-mod-2 { 10.96.0.10 . tcp . 80 }\n")
        .contains(
            """
        flush chain ip switchboard services
        delete chain ip switchboard service-ips-mod-2
        delete map ip switchboard service-ips-mod-2-endpoints
        delete set ip switchboard service-ips-mod-2
        table ip switchboard {
          chain services {
            ip daddr . meta l4proto . th dport @masquerade-ips meta mark set meta mark | 0x4000
            ip daddr . meta l4proto . th dport vmap @service-ips
            ip daddr . meta l4proto . th dport @service-ips-mod-1 goto service-ips-mod-1
            fib daddr type local ip daddr != 127.0.0.0/8 jump nodeports
          }
        }
        """)
        .endsWith(
            "add element ip switchboard no-endpoint-services "
                + "{ 10.96.0.10 . tcp . 80 comment \"default/web:http\" }\n")
        .doesNotContain("prod/db");
    // And back: the count's set, map and chain are made before the entries that need them.
    assertThat(NftBatch.incremental(NftRuleset.render(none), applied))
        .contains(
            """
        table ip switchboard {
          set service-ips-mod-2 {
            type ipv4_addr . inet_proto . inet_service
          }
          map service-ips-mod-2-endpoints {
            typeof ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport
          }
          chain service-ips-mod-2 {
            dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @service-ips-mod-2-endpoints
          }
          chain services {
        """)
        .contains(
            "add element ip switchboard service-ips-mod-2-endpoints "
                + "{ 10.96.0.10 . tcp . 80 . 1 : 10.244.0.2 . 8080 }\n");
  }

  @Test
  void namesKeepOnlyCharactersNftAcceptsInIdentifiers() {
    assertThat(NftRuleset.name("my-ns.x_1")).isEqualTo("my-ns.x_1");
    assertThat(NftRuleset.name("a/b c:d")).isEqualTo("a_b_c_d");
    assertThat(NftRuleset.name("")).isEqualTo("_");
  }

  private NftRuleset.Rendered render(ServiceName name, Service service, Endpoints eps) {
    return NftRuleset.render(plan(name, service, eps));
  }

  private List<ListenerPlan> plan(ServiceName name, Service service, Endpoints eps) {
    return planner.plan(name, new ServiceView(service, eps)).listeners();
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
