package dev.switchboard.agent.dns;

import dev.switchboard.telemetry.Telemetry;
import io.netty.handler.codec.dns.DnsRecordType;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The DNS server's metrics under CoreDNS's names ({@code coredns_dns_requests_total{proto,type}},
 * {@code coredns_dns_responses_total{rcode}}, {@code coredns_dns_request_duration_seconds{proto}}
 * on {@code /metrics}), so dashboards and alerts written for CoreDNS read the agent's DNS too.
 * Label values are a fixed small set (unusual query types are {@code other}, as CoreDNS does), so
 * the series cannot grow with what clients send.
 *
 * <p>Every label set is made once, up front: recording allocates nothing of ours. Confined to the
 * DNS event loop.
 */
final class DnsMetrics {
  private static final AttributeKey<String> PROTO = AttributeKey.stringKey("proto");
  private static final AttributeKey<String> TYPE = AttributeKey.stringKey("type");
  private static final AttributeKey<String> RCODE = AttributeKey.stringKey("rcode");
  private static final List<String> TYPES =
      List.of("A", "AAAA", "SRV", "PTR", "TXT", "SOA", "NS", "CNAME", "MX", "ANY", "HTTPS");
  private static final String[] RCODES = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"
  };

  /** Counts per label set, [proto][type] and [rcode]: written by the event loop alone. */
  private final AtomicLongArray requests = new AtomicLongArray(2 * (TYPES.size() + 1));

  private final AtomicLongArray responses = new AtomicLongArray(RCODES.length + 1);
  private final DoubleHistogram duration;

  /** Label sets made once: [udp, tcp] x (TYPES, then other); rcodes (RCODES, then other). */
  private final Attributes[][] requestAttributes = new Attributes[2][TYPES.size() + 1];

  private final Attributes[] responseAttributes = new Attributes[RCODES.length + 1];
  private final Attributes[] protoAttributes = new Attributes[2];

  /** Query type name → its index in TYPES. */
  private final Map<String, Integer> typeIndex = new HashMap<>();

  /**
   * Query type code (under 256) → its index in TYPES, for the fast path, which has the code and no
   * name: the same label Netty's name gives ({@code other} for a type Netty does not know).
   */
  private final int[] typeByCode = new int[256];

  DnsMetrics(Telemetry telemetry) {
    var meter = telemetry.meter("dev.switchboard.dns");
    // Observed when read (a scrape), not added per query: the SDK's per-add attribute lookup
    // was most of the metrics' cost.
    meter
        .counterBuilder("coredns.dns.requests")
        .setDescription("DNS queries received, by transport (udp, tcp) and query type")
        .buildWithCallback(
            m -> {
              for (int p = 0; p < 2; p++) {
                for (int t = 0; t <= TYPES.size(); t++) {
                  long v = requests.get(p * (TYPES.size() + 1) + t);
                  if (v > 0) {
                    m.record(v, requestAttributes[p][t]);
                  }
                }
              }
            });
    meter
        .counterBuilder("coredns.dns.responses")
        .setDescription("DNS responses sent, by response code")
        .buildWithCallback(
            m -> {
              for (int c = 0; c <= RCODES.length; c++) {
                long v = responses.get(c);
                if (v > 0) {
                  m.record(v, responseAttributes[c]);
                }
              }
            });
    duration =
        meter
            .histogramBuilder("coredns.dns.request.duration")
            .setUnit("s")
            .setDescription("Time from a decoded query to its response handed to the socket")
            .setExplicitBucketBoundariesAdvice(
                List.of(
                    0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256,
                    0.512, 1.024))
            .build();
    for (int p = 0; p < 2; p++) {
      String proto = p == 0 ? "udp" : "tcp";
      protoAttributes[p] = Attributes.of(PROTO, proto);
      for (int t = 0; t <= TYPES.size(); t++) {
        requestAttributes[p][t] =
            Attributes.of(PROTO, proto, TYPE, t < TYPES.size() ? TYPES.get(t) : "other");
      }
    }
    for (int c = 0; c <= RCODES.length; c++) {
      responseAttributes[c] = Attributes.of(RCODE, c < RCODES.length ? RCODES[c] : "other");
    }
    for (int t = 0; t < TYPES.size(); t++) {
      typeIndex.put(TYPES.get(t), t);
    }
    java.util.Arrays.fill(typeByCode, TYPES.size());
    for (int code = 0; code < typeByCode.length; code++) {
      typeByCode[code] = typeIndex.getOrDefault(DnsRecordType.valueOf(code).name(), TYPES.size());
    }
  }

  /**
   * As {@link #record}, over UDP, for a query type given by its code (the fast path's answers):
   * counted under the same labels.
   */
  void recordUdp(int qtype, int rcode, long nanos) {
    increment(requests, qtype >= 0 && qtype < typeByCode.length ? typeByCode[qtype] : TYPES.size());
    increment(responses, rcode >= 0 && rcode < RCODES.length ? rcode : RCODES.length);
    duration.record(nanos / 1e9, protoAttributes[0]);
  }

  /** One query answered: its type name (Netty's), the response code, and how long it took. */
  void record(boolean udp, String typeName, int rcode, long nanos) {
    int p = udp ? 0 : 1;
    increment(requests, p * (TYPES.size() + 1) + typeIndex.getOrDefault(typeName, TYPES.size()));
    increment(responses, rcode >= 0 && rcode < RCODES.length ? rcode : RCODES.length);
    duration.record(nanos / 1e9, protoAttributes[p]);
  }

  /** One writer (the event loop), readers elsewhere: a release store is enough. */
  private static void increment(AtomicLongArray counts, int i) {
    counts.setRelease(i, counts.getPlain(i) + 1);
  }
}
