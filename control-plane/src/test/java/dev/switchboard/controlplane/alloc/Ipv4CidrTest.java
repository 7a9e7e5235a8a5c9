package dev.switchboard.controlplane.alloc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class Ipv4CidrTest {

  @Test
  void parsesStrictDottedQuads() {
    assertThat(Ipv4.parse("10.96.0.1")).hasValue(0x0a600001L);
    assertThat(Ipv4.parse("255.255.255.255")).hasValue(0xffffffffL);
    assertThat(Ipv4.parse("0.0.0.0")).hasValue(0L);
    assertThat(Ipv4.format(0x0a600001L)).isEqualTo("10.96.0.1");
  }

  @Test
  void refusesLeadingZerosOutOfRangePartsAndGarbage() {
    for (String bad :
        new String[] {
          "010.0.0.1", "256.0.0.1", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", "", "1.2.3.4 ", "::1"
        }) {
      assertThat(Ipv4.parse(bad)).as(bad).isEmpty();
    }
  }

  @Test
  void parseOrThrowRefusesIpv6Clearly() {
    assertThatThrownBy(() -> Ipv4.parseOrThrow("fd00::1", "ip"))
        .hasMessage("ip: \"fd00::1\" (expected: an IPv4 address; IPv6 is not supported)");
  }

  @Test
  void cidrSizeContainsAndOffsets() {
    Ipv4Cidr cidr = Ipv4Cidr.parse("10.96.0.0/12");
    assertThat(cidr.size()).isEqualTo(1L << 20);
    assertThat(cidr.contains("10.96.0.0")).isTrue();
    assertThat(cidr.contains("10.111.255.255")).isTrue();
    assertThat(cidr.contains("10.112.0.0")).isFalse();
    assertThat(cidr.contains("10.95.255.255")).isFalse();
    assertThat(cidr.contains("not-an-ip")).isFalse();
    assertThat(cidr.addressStringAt(1)).isEqualTo("10.96.0.1");
    assertThat(cidr.addressStringAt(cidr.size() - 1)).isEqualTo("10.111.255.255");
    assertThat(cidr.offsetOf("10.96.1.2")).isEqualTo(258);
    assertThat(cidr).hasToString("10.96.0.0/12");
  }

  @Test
  void slashZeroAndSlash32() {
    assertThat(Ipv4Cidr.parse("0.0.0.0/0").size()).isEqualTo(1L << 32);
    Ipv4Cidr host = Ipv4Cidr.parse("127.0.0.1/32");
    assertThat(host.size()).isEqualTo(1);
    assertThat(host.contains("127.0.0.1")).isTrue();
  }

  @Test
  void refusesIpv6() {
    assertThatThrownBy(() -> Ipv4Cidr.parse("fd00::/108"))
        .hasMessage("cidr: \"fd00::/108\" (expected: an IPv4 CIDR; IPv6 is not supported)");
  }

  @Test
  void refusesHostBitsNamingTheCanonicalForm() {
    assertThatThrownBy(() -> Ipv4Cidr.parse("10.96.0.1/12"))
        .hasMessage(
            "cidr: \"10.96.0.1/12\" (expected: no bits set after the prefix length, i.e. 10.96.0.0/12)");
    assertThat(Ipv4Cidr.canonicalForm("10.96.0.1/12")).hasValue("10.96.0.0/12");
  }

  @Test
  void refusesMalformedPrefixes() {
    for (String bad :
        new String[] {
          "10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/-1", "x/8"
        }) {
      assertThatThrownBy(() -> Ipv4Cidr.parse(bad))
          .as(bad)
          .hasMessage("cidr: \"" + bad + "\" (expected: an IPv4 CIDR such as 10.96.0.0/12)");
    }
  }

  @Test
  void offsetChecksNameTheExpectedRange() {
    Ipv4Cidr cidr = Ipv4Cidr.parse("127.96.0.0/16");
    assertThatThrownBy(() -> cidr.addressAt(65536))
        .hasMessage("offset: 65536 (expected: 0..65535)");
    assertThatThrownBy(() -> cidr.offsetOf("127.97.0.0"))
        .hasMessage("address: 127.97.0.0 (expected: inside 127.96.0.0/16)");
  }
}
