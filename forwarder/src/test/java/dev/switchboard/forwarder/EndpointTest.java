package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EndpointTest {
  private static final InetAddress IP = InetAddress.getLoopbackAddress();

  @Test
  void isAValue() {
    Endpoint a = new Endpoint(IP, 8080, true, true, false, Optional.of("n1"));
    assertThat(a)
        .isEqualTo(new Endpoint(IP, 8080, true, true, false, Optional.of("n1")))
        .hasSameHashCodeAs(new Endpoint(IP, 8080, true, true, false, Optional.of("n1")));
    assertThat(a)
        .isNotEqualTo(a.asTerminating())
        .isNotEqualTo(new Endpoint(IP, 8081, true, true, false, Optional.of("n1")))
        .isNotEqualTo(new Endpoint(IP, 8080, true, true, false, Optional.empty()));
    assertThat(a.asTerminating().ready()).isFalse();
    assertThat(a.asTerminating().serving()).isTrue();
    assertThat(a.asTerminating().terminating()).isTrue();
    assertThat(a.withConditions(false, false, false).serving()).isFalse();
    assertThat(a.withNodeName("n2").nodeName()).contains("n2");
    assertThat(a.ip()).isEqualTo(IP);
    assertThat(a.port()).isEqualTo(8080);
    assertThat(a).hasToString("127.0.0.1:8080 @n1");
  }

  @Test
  void isIdentifiedByItsAddressAndPortWhateverItsConditions() throws Exception {
    Endpoint a = Endpoint.ready(new InetSocketAddress(IP, 8080));
    assertThat(a.socketAddress()).isEqualTo(new InetSocketAddress(IP, 8080));
    assertThat(a.asTerminating().socketAddress()).isEqualTo(a.socketAddress());
    assertThat(a.hasAddress(new InetSocketAddress(IP, 8080))).isTrue();
    assertThat(a.hasAddress(new InetSocketAddress(IP, 8081))).isFalse();
    assertThat(a.hasAddress(new InetSocketAddress("127.0.0.2", 8080))).isFalse();
    assertThat(a.sameAddress(a.asTerminating().withNodeName("n2"))).isTrue();
    assertThat(a.sameAddress(Endpoint.ready(new InetSocketAddress(IP, 8081)))).isFalse();

    InetAddress v6 = InetAddress.getByName("::1");
    Endpoint six = Endpoint.ready(new InetSocketAddress(v6, 8080));
    assertThat(six.ip()).isEqualTo(v6);
    assertThat(six.hasAddress(new InetSocketAddress(v6, 8080))).isTrue();
    assertThat(six.hasAddress(new InetSocketAddress(IP, 8080))).isFalse();
    assertThat(a.hasAddress(new InetSocketAddress(v6, 8080))).isFalse();
    assertThat(six.sameAddress(a)).isFalse();
    assertThat(six).isNotEqualTo(a);
    // 0.0.0.0 and :: are both all-zero bits: the family still tells them apart
    Endpoint any4 = Endpoint.ready(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 80));
    Endpoint any6 = Endpoint.ready(new InetSocketAddress(InetAddress.getByName("::"), 80));
    assertThat(any4).isNotEqualTo(any6);
    assertThat(any4.hasAddress(any6.socketAddress())).isFalse();
    // the highest bit set: bits are read unsigned
    Endpoint high = Endpoint.ready(new InetSocketAddress(InetAddress.getByName("255.1.2.3"), 80));
    assertThat(high.ip().getHostAddress()).isEqualTo("255.1.2.3");
    assertThat(high.hasAddress(new InetSocketAddress("255.1.2.3", 80))).isTrue();
  }

  @Test
  void refusesBadArgumentsNamingThem() {
    assertThatThrownBy(() -> new Endpoint(IP, 0, true, true, false, Optional.empty()))
        .hasMessage("port: 0 (expected: 1-65535)");
    assertThatThrownBy(() -> new Endpoint(null, 80, true, true, false, Optional.empty()))
        .hasMessage("ip: null (expected: non-null)");
    assertThatThrownBy(() -> Endpoint.ready(InetSocketAddress.createUnresolved("x", 80)))
        .hasMessageContaining("expected: a resolved IP address");
  }
}
