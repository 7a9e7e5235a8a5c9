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
  void keepsOneSocketAddress() {
    Endpoint a = Endpoint.ready(new InetSocketAddress(IP, 8080));
    assertThat(a.socketAddress())
        .isSameAs(a.socketAddress())
        .isEqualTo(new InetSocketAddress(IP, 8080));
    assertThat(a.asTerminating().socketAddress()).isSameAs(a.socketAddress());
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
