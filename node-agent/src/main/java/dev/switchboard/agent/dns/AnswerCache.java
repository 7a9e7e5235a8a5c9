package dev.switchboard.agent.dns;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The answers of one zone snapshot in wire form, per (lower-case name, type), so a repeated
 * question costs a map lookup instead of a zone walk and record encoding. A pure function of the
 * snapshot: forgotten whole when the zone is replaced, and when it holds {@value #MAX_ENTRIES}
 * answers (questions for random names cannot grow it). Confined to the DNS event loop.
 */
final class AnswerCache {
  static final int MAX_ENTRIES = 4096;

  /** A zone answer with its records encoded (TTL of the zone). */
  record Prepared(
      DnsZone.Rcode rcode,
      boolean authoritative,
      List<WireCodec.Wire> answers,
      List<WireCodec.Wire> authority,
      List<WireCodec.Wire> additional) {}

  private record Key(String name, int qtype) {}

  private final Map<Key, Prepared> answers = new HashMap<>();

  /** The same answers by the question's wire name, for the UDP fast path. */
  private final WireAnswers wire = new WireAnswers();

  private DnsZone zone;

  /** The answer of {@code zone} to {@code name} (absolute, lower case) and {@code qtype}. */
  Prepared get(DnsZone zone, String name, int qtype) {
    return get(zone, name, qtype, null);
  }

  /**
   * As above; with {@code wireName} (the question's name as received, which spells {@code name}),
   * an answer from the zone (not REFUSED: those may go upstream) is also remembered for the fast
   * path ({@link #wire}).
   */
  Prepared get(DnsZone zone, String name, int qtype, byte[] wireName) {
    Prepared p = lookup(zone, name, qtype);
    if (wireName != null && p.rcode() != DnsZone.Rcode.REFUSED) {
      wire.put(wireName, qtype, p);
    }
    return p;
  }

  /**
   * The fast path's answers for {@code zone}: emptied first when the zone is not the one they were
   * made from.
   */
  WireAnswers wire(DnsZone zone) {
    forgetUnless(zone);
    return wire;
  }

  private void forgetUnless(DnsZone zone) {
    if (zone != this.zone) {
      answers.clear();
      wire.clear();
      this.zone = zone;
    }
  }

  private Prepared lookup(DnsZone zone, String name, int qtype) {
    forgetUnless(zone);
    Key key = new Key(name, qtype);
    Prepared p = answers.get(key);
    if (p == null) {
      p = prepare(zone, name, qtype);
      if (answers.size() >= MAX_ENTRIES) {
        answers.clear();
      }
      answers.put(key, p);
    }
    return p;
  }

  int size() {
    return answers.size();
  }

  /** Without a cache: the zone's answer, encoded. */
  static Prepared prepare(DnsZone zone, String name, int qtype) {
    DnsZone.Answer a = zone.lookup(name, qtype);
    long ttl = zone.ttlSeconds();
    return new Prepared(
        a.rcode(),
        a.authoritative(),
        wire(a.answers(), name, ttl),
        wire(a.authority(), name, ttl),
        wire(a.additional(), name, ttl));
  }

  private static List<WireCodec.Wire> wire(List<ZoneRecord> records, String name, long ttl) {
    return records.stream().map(r -> WireCodec.encode(r, r.name().equals(name), ttl)).toList();
  }
}
