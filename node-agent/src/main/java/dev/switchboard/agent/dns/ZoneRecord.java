package dev.switchboard.agent.dns;

import java.net.Inet4Address;
import java.util.Objects;

/**
 * One resource record as the zone holds it, free of any wire format, so the zone can be built and
 * tested without a codec and shared by every query (immutable). Names are absolute and lower case
 * ({@code web.default.svc.cluster.local.}); the TTL is the zone's, not the record's.
 */
public sealed interface ZoneRecord {

  /** The owner name. */
  String name();

  /** The record's type. */
  RecordType type();

  /** An address record. */
  record A(String name, Inet4Address address) implements ZoneRecord {
    public A {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(address, "address");
    }

    @Override
    public RecordType type() {
      return RecordType.A;
    }
  }

  /** A service location (RFC 2782). */
  record Srv(String name, int priority, int weight, int port, String target) implements ZoneRecord {
    public Srv {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(target, "target");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
      }
    }

    @Override
    public RecordType type() {
      return RecordType.SRV;
    }
  }

  /** A reverse-lookup pointer. */
  record Ptr(String name, String target) implements ZoneRecord {
    public Ptr {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(target, "target");
    }

    @Override
    public RecordType type() {
      return RecordType.PTR;
    }
  }

  /** A text record of one character-string (at most 255 bytes). */
  record Txt(String name, String text) implements ZoneRecord {
    public Txt {
      Objects.requireNonNull(name, "name");
      if (text.length() > 255) {
        throw new IllegalArgumentException("text: " + text.length() + " chars (expected: <= 255)");
      }
    }

    @Override
    public RecordType type() {
      return RecordType.TXT;
    }
  }

  /** The zone's start of authority; {@code minimum} is the TTL of negative answers (RFC 2308). */
  record Soa(
      String name,
      String primary,
      String mailbox,
      long serial,
      int refresh,
      int retry,
      int expire,
      int minimum)
      implements ZoneRecord {
    public Soa {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(primary, "primary");
      Objects.requireNonNull(mailbox, "mailbox");
    }

    @Override
    public RecordType type() {
      return RecordType.SOA;
    }
  }

  /** The record types the zone holds or is asked about, with their wire codes. */
  enum RecordType {
    A(1),
    NS(2),
    SOA(6),
    PTR(12),
    TXT(16),
    AAAA(28),
    SRV(33),
    ANY(255);

    private final int code;

    RecordType(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }

    /** The type of {@code code}, or null for a type the zone never holds (its answer is NODATA). */
    public static RecordType of(int code) {
      for (RecordType t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      return null;
    }
  }
}
