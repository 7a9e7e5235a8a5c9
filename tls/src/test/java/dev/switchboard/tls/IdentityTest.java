package dev.switchboard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;

class IdentityTest {
  private static final CertificateAuthority CA =
      CertificateAuthority.create("ca", Duration.ofDays(1));

  private static java.util.Optional<Identity> of(X500Principal subject) {
    return Identity.of(CA.issueClient(subject, Duration.ofDays(1)).certificate());
  }

  @Test
  void nodeAndLoadBalancerCertificatesNameTheirHolder() {
    assertThat(of(Identity.node("node-1").subject())).contains(Identity.node("node-1"));
    assertThat(of(Identity.loadBalancer("lb-a").subject())).contains(Identity.loadBalancer("lb-a"));
    assertThat(Identity.node("node-1").subject().getName())
        .isEqualTo("CN=system:node:node-1,O=switchboard:nodes");
  }

  @Test
  void theCommonNameAloneIsNotEnough() {
    assertThat(of(Identity.subject("system:node:node-1", "switchboard:load-balancers"))).isEmpty();
    assertThat(of(Identity.subject("system:switchboard:lb:x", "switchboard:nodes"))).isEmpty();
    assertThat(of(Identity.subject("system:node:", "switchboard:nodes"))).isEmpty();
    assertThat(of(new X500Principal("CN=admin"))).isEmpty();
  }
}
