package dev.switchboard.controlplane.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneSecurity;
import dev.switchboard.controlplane.store.EtcdStore;
import dev.switchboard.controlplane.store.StoreException;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.tls.IssuedCertificate;
import dev.switchboard.tls.TlsFiles;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.Role;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates as files that change under a running control plane, and etcd over TLS with a client
 * certificate: the control plane stores and reads through it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SecurityFilesTest {
  @Test
  void aRewrittenServerCertificateIsServedToNewConnectionsAndOldOnesKeepWorking(@TempDir Path dir)
      throws Exception {
    try (EtcdProcess etcd = EtcdProcess.start();
        TestPki pki = new TestPki(dir);
        Cluster cluster = new Cluster(etcd).withSecurity(pki.security("control-plane"))) {
      ControlPlane cp = cluster.start();
      pki.node("node-1");
      BigInteger before = servedSerial(pki, cp.port());
      // A long-lived stream and a channel opened before the rotation.
      TestSubscriber stream =
          TestSubscriber.connect(
              cluster.channel(cp, pki.credentials("node-1", null)),
              "node-1",
              Role.AGENT,
              0,
              null,
              false);
      AdminGrpc.AdminBlockingStub oldAdmin =
          AdminGrpc.newBlockingStub(cluster.channel(cp, pki.credentials(null, TestPki.EDITOR)));
      oldAdmin
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .listServices(ListRequest.getDefaultInstance());
      await().atMost(Duration.ofSeconds(20)).until(() -> !stream.received.isEmpty());

      IssuedCertificate rotated = pki.server("control-plane");
      assertThat(rotated.certificate().getSerialNumber()).isNotEqualTo(before);
      await("new handshakes present the new certificate")
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> servedSerial(pki, cp.port()).equals(rotated.certificate().getSerialNumber()));

      // The old connections were not cut: the channel answers, the stream gets the next change.
      int seen = stream.received.size();
      oldAdmin
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .applyService(
              ApplyServiceRequest.newBuilder()
                  .setService(Cluster.service("after-rotation", "ClusterIP", 80))
                  .build());
      await().atMost(Duration.ofSeconds(20)).until(() -> stream.received.size() > seen);
      assertThat(stream.errors).isEmpty();
      stream.close();
    }
  }

  @Test
  void theControlPlaneStoresAndReadsThroughEtcdWithClientCertificates(@TempDir Path dir)
      throws Exception {
    try (TestPki pki = new TestPki(dir)) {
      pki.server("etcd");
      pki.client("etcd-client", new X500Principal("CN=switchboard-control-plane"));
      try (EtcdProcess etcd =
          EtcdProcess.startWithTls(
              new EtcdProcess.ClientTls(
                  pki.caFile(), dir.resolve("etcd.crt"), dir.resolve("etcd.key")))) {
        assertThat(etcd.endpoint()).startsWith("https://127.0.0.1:");
        TlsFiles etcdTls = pki.files("etcd-client");
        try (Cluster cluster =
            new Cluster(etcd)
                .withSecurity(
                    ControlPlaneSecurity.insecure().withEtcdTls(etcdTls.nettyClientContext()))) {
          ControlPlane cp = cluster.start();
          AdminGrpc.AdminBlockingStub admin =
              AdminGrpc.newBlockingStub(cluster.channel(cp))
                  .withDeadlineAfter(20, TimeUnit.SECONDS);
          String ip =
              admin
                  .applyService(
                      ApplyServiceRequest.newBuilder()
                          .setService(Cluster.service("over-tls", "ClusterIP", 80))
                          .build())
                  .getSpec()
                  .getClusterIp();
          assertThat(
                  admin
                      .getService(
                          GetRequest.newBuilder()
                              .setNamespace("default")
                              .setName("over-tls")
                              .build())
                      .getSpec()
                      .getClusterIp())
              .isEqualTo(ip);
        }
        // etcd really asks for the certificate: trusting its CA is not enough.
        TlsFiles trustOnly = TlsFiles.load(null, null, pki.caFile(), Duration.ofSeconds(10));
        try (EtcdStore store =
            EtcdStore.connect(
                List.of(etcd.endpoint()),
                "/x",
                Duration.ofSeconds(3),
                trustOnly.nettyClientContext())) {
          assertThatThrownBy(store::currentRevision).isInstanceOf(StoreException.class);
        } finally {
          trustOnly.close();
        }
      }
    }
  }

  /** The serial of the certificate a fresh TLS handshake with the port presents. */
  private static BigInteger servedSerial(TestPki pki, int port) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    try (TlsFiles trust = TlsFiles.load(null, null, pki.caFile(), Duration.ofSeconds(10))) {
      context.init(null, new javax.net.ssl.TrustManager[] {trust.trustManager()}, null);
    }
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      socket.setSoTimeout(5000);
      SSLParameters params = socket.getSSLParameters();
      params.setApplicationProtocols(new String[] {"h2"});
      socket.setSSLParameters(params);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    } catch (IOException e) {
      return BigInteger.ZERO;
    }
  }
}
