package dev.switchboard.sbctl.output;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.Annotations;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import org.junit.jupiter.api.Test;

/** {@code sbctl describe svc}'s "Data Path": the agents' rule, per port, with the reason. */
class DataPathTest {
  @Test
  void plainPortsAreKernelHttpAndProxyProtocolPortsSayWhyTheyNeedTheForwarder() {
    ServicePort plain =
        ServicePort.newBuilder().setName("db").setProtocol("TCP").setPort(5432).build();
    ServicePort http = plain.toBuilder().setAppProtocol("http").build();
    ServicePort udpHttp = http.toBuilder().setProtocol("UDP").build();
    Service svc = service("LoadBalancer", "");
    Service proxied = service("LoadBalancer", "v2");

    assertThat(Describers.dataPath(svc, plain)).isEqualTo("nftables");
    assertThat(Describers.dataPath(svc, http)).isEqualTo("userspace (appProtocol http)");
    assertThat(Describers.dataPath(svc, udpHttp)).isEqualTo("nftables"); // HTTP is TCP only
    assertThat(Describers.dataPath(proxied, plain))
        .isEqualTo(
            "nftables (ClusterIP); userspace (NodePort, "
                + "LoadBalancer: PROXY protocol (switchboard.dev/proxy-protocol: v2))");
    assertThat(Describers.dataPath(service("ClusterIP", "v2"), plain)).isEqualTo("nftables");
    for (String h2 : new String[] {"grpc", "h2c", "kubernetes.io/h2c"}) {
      assertThat(Describers.dataPath(svc, plain.toBuilder().setAppProtocol(h2).build()))
          .isEqualTo("userspace (appProtocol h2c/grpc: balanced per call)");
    }
  }

  private static Service service(String type, String proxyProtocol) {
    ObjectMeta.Builder meta = ObjectMeta.newBuilder().setNamespace("default").setName("web");
    if (!proxyProtocol.isEmpty()) {
      meta.putAnnotations(Annotations.PROXY_PROTOCOL, proxyProtocol);
    }
    return Service.newBuilder()
        .setMetadata(meta)
        .setSpec(ServiceSpec.newBuilder().setType(type))
        .build();
  }
}
