package dev.switchboard.agent.it;

import static dev.switchboard.agent.it.Dig.dig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.dns.DnsConfig;
import dev.switchboard.agent.dns.DnsServer;
import dev.switchboard.agent.state.ChangeTracker;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointConditions;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the agent's DNS does with names it does not own, and with AAAA: BIND's {@code dig} asks a
 * real agent DNS server whose upstream is another real one (our own server, authoritative for
 * {@code upstream.test}, on its own address), so every answer crossed real sockets twice.
 */
@Timeout(60)
class DnsUpstreamTest {
  private static final String AGENT_IP = "127.0.1.57";
  private static final String UPSTREAM_IP = "127.0.1.58";
  private static final int UPSTREAM_TTL = 2;
  private static final int BIG = 100;

  private DnsServer upstream;
  private DnsServer agent;

  private void start() throws IOException {
    upstream =
        DnsServer.start(
            new DnsConfig(Net.freePort(UPSTREAM_IP), "upstream.test", UPSTREAM_TTL),
            Net.ip(UPSTREAM_IP),
            "10.1.0.0/16",
            "upstream",
            Telemetry.disabled());
    Endpoints.Builder endpoints = Endpoints.newBuilder();
    for (int i = 1; i <= BIG; i++) {
      endpoints.addEndpoints(
          Endpoint.newBuilder()
              .setAddress("10.2.0." + i)
              .setConditions(EndpointConditions.newBuilder().setReady(true)));
    }
    upstream.update(
        1,
        Map.of(
            new ServiceName("default", "web"), change(service("web", "10.1.2.3"), null),
            new ServiceName("default", "big"), change(service("big", "None"), endpoints.build())));
    agent =
        DnsServer.start(
            new DnsConfig(Net.freePort(AGENT_IP), "cluster.local", 5, List.of(upstream.address())),
            Net.ip(AGENT_IP),
            "127.96.0.0/16",
            "agent",
            Telemetry.disabled());
    agent.update(
        1,
        Map.of(new ServiceName("default", "redis"), change(service("redis", "127.96.0.9"), null)));
  }

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void aaaaOfAnIpv4OnlyServiceIsNodataNotNxdomain() throws IOException {
    start();
    InetSocketAddress dns = agent.address();
    Dig.Result aaaa = dig(dns, "redis.default.svc.cluster.local", "AAAA");
    assertThat(aaaa.status()).as(aaaa.output()).isEqualTo("NOERROR");
    assertThat(aaaa.answer()).isEmpty();
    assertThat(aaaa.authority()).extracting(Dig.Rr::type).containsExactly("SOA");
    assertThat(dig(dns, "redis.default.svc.cluster.local", "A").data("A"))
        .containsExactly("127.96.0.9");
    assertThat(dig(dns, "nope.default.svc.cluster.local", "AAAA").status()).isEqualTo("NXDOMAIN");
  }

  @Test
  void aTruncatedUpstreamAnswerIsFetchedAgainOverTcp() throws IOException {
    start();
    InetSocketAddress dns = agent.address();
    String big = "big.default.svc.upstream.test";
    // Over UDP the client gets TC (100 records do not fit 1232 bytes)...
    Dig.Result udp = dig(dns, "+notcp", "+ignore", big, "A");
    assertThat(udp.flags()).as(udp.output()).contains("tc");
    // ...and over TCP all of them, which no UDP answer from the upstream could carry: the agent
    // asked the upstream over TCP.
    Dig.Result tcp = dig(dns, "+tcp", big, "A");
    assertThat(tcp.status()).as(tcp.output()).isEqualTo("NOERROR");
    assertThat(tcp.flags()).doesNotContain("tc");
    assertThat(tcp.data("A")).hasSize(BIG);
    // dig's default (UDP, then TCP on TC) gets the whole answer too
    assertThat(dig(dns, big, "A").data("A")).hasSize(BIG);
  }

  @Test
  void upstreamAnswersAreCachedForTheirTtlAndCountDown() throws IOException {
    start();
    InetSocketAddress dns = agent.address();
    String web = "web.default.svc.upstream.test";
    Dig.Result first = dig(dns, web, "A");
    assertThat(first.data("A")).containsExactly("10.1.2.3");
    long asked = upstream.queries();
    Dig.Result again = dig(dns, web, "A");
    assertThat(again.data("A")).containsExactly("10.1.2.3");
    assertThat(upstream.queries()).as("served from the cache").isEqualTo(asked);
    assertThat(again.answer().get(0).ttl()).isBetween(0L, (long) UPSTREAM_TTL);
    // once the TTL is over, the upstream is asked again
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(dig(dns, web, "A").data("A")).containsExactly("10.1.2.3");
              assertThat(upstream.queries()).isGreaterThan(asked);
            });
  }

  @Test
  void nxdomainAndNodataAreCachedForTheSoaMinimum() throws IOException {
    start();
    InetSocketAddress dns = agent.address();
    String nope = "nope.default.svc.upstream.test";
    String web = "web.default.svc.upstream.test";
    assertThat(dig(dns, nope, "A").status()).isEqualTo("NXDOMAIN");
    assertThat(dig(dns, web, "TXT").status()).isEqualTo("NOERROR"); // NODATA
    long asked = upstream.queries();
    Dig.Result cached = dig(dns, nope, "A");
    assertThat(cached.status()).isEqualTo("NXDOMAIN");
    assertThat(cached.authority()).extracting(Dig.Rr::type).containsExactly("SOA");
    assertThat(cached.authority().get(0).ttl()).isBetween(0L, (long) UPSTREAM_TTL);
    Dig.Result nodata = dig(dns, web, "TXT");
    assertThat(nodata.status()).isEqualTo("NOERROR");
    assertThat(nodata.answer()).isEmpty();
    assertThat(upstream.queries())
        .as("both negative answers served from the cache")
        .isEqualTo(asked);
    // With the upstream gone the cached denial still holds until its TTL ends, then SERVFAIL.
    upstream.close();
    upstream = null;
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> assertThat(dig(dns, "+time=5", nope, "A").status()).isEqualTo("SERVFAIL"));
  }

  private static ChangeTracker.Change<ServiceView> change(Service service, Endpoints endpoints) {
    return new ChangeTracker.Change<>(ServiceView.ABSENT, new ServiceView(service, endpoints));
  }

  private static Service service(String name, String clusterIp) {
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name))
        .setSpec(ServiceSpec.newBuilder().setClusterIp(clusterIp))
        .build();
  }
}
