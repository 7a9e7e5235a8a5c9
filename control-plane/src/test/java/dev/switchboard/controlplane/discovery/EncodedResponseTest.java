package dev.switchboard.controlplane.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.ChangeOrigin;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.ResourceKey;
import dev.switchboard.v1.Service;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What goes on the wire for shared bytes plus a subscriber's own part. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EncodedResponseTest {
  private static final DiscoveryResponse SHARED =
      DiscoveryResponse.newBuilder()
          .setVersion(42)
          .setNonce("7")
          .addResources(
              Resource.newBuilder()
                  .setService(
                      Service.newBuilder()
                          .setMetadata(
                              ObjectMeta.newBuilder().setNamespace("default").setName("web"))))
          .addRemoved(ResourceKey.newBuilder().setNamespace("default").setName("db"))
          .addOrigins(ChangeOrigin.newBuilder().setRevision(42))
          .build();

  @Test
  void sharedBytesAndTheSubscribersTraceContextParseAsOneMessage() throws Exception {
    DiscoveryResponse own =
        DiscoveryResponse.newBuilder()
            .putTraceContext(
                "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
            .build();
    EncodedResponse r = EncodedResponse.shared(SHARED.toByteArray(), own);

    DiscoveryResponse parsed =
        EncodedResponse.MARSHALLER.parse(EncodedResponse.MARSHALLER.stream(r)).message();
    assertThat(parsed)
        .isEqualTo(SHARED.toBuilder().putAllTraceContext(own.getTraceContextMap()).build());
    assertThat(r.serializedSize()).isEqualTo(SHARED.getSerializedSize() + own.getSerializedSize());
  }

  @Test
  void drainsEveryByteOnceWithoutParsing() throws Exception {
    byte[] bytes = SHARED.toByteArray();
    EncodedResponse r = EncodedResponse.shared(bytes, null);
    assertThat(r.sharedBytes()).isSameAs(bytes);
    InputStream in = EncodedResponse.MARSHALLER.stream(r);
    assertThat(in).isInstanceOf(Drainable.class).isInstanceOf(KnownLength.class);
    assertThat(in.available()).isEqualTo(bytes.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(((Drainable) in).drainTo(out)).isEqualTo(bytes.length);
    assertThat(out.toByteArray()).isEqualTo(bytes);
    assertThat(in.available()).isZero();
  }

  @Test
  void aSubscribersOwnMessageIsSentAsItIs() throws Exception {
    EncodedResponse r = EncodedResponse.of(SHARED);
    assertThat(r.sharedBytes()).isNull();
    assertThat(r.serializedSize()).isEqualTo(SHARED.getSerializedSize());
    assertThat(EncodedResponse.MARSHALLER.stream(r).readAllBytes()).isEqualTo(SHARED.toByteArray());
  }
}
