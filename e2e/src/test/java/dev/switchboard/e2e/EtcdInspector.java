package dev.switchboard.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reads etcd directly, under the control plane's default prefix {@code /switchboard/}, to check
 * what was really committed rather than what an API says.
 */
final class EtcdInspector implements AutoCloseable {
  static final String PREFIX = "/switchboard/";

  private final Client client;

  EtcdInspector(String endpoint) {
    this.client = Client.builder().endpoints(endpoint).maxInboundMessageSize(64 << 20).build();
  }

  /** Every key under {@code PREFIX + prefix} (relative to {@code PREFIX}) with its value. */
  Map<String, byte[]> list(String prefix) {
    GetResponse r = get(PREFIX + prefix, GetOption.builder().isPrefix(true).build());
    Map<String, byte[]> out = new LinkedHashMap<>();
    r.getKvs()
        .forEach(
            kv ->
                out.put(
                    kv.getKey().toString(UTF_8).substring(PREFIX.length()),
                    kv.getValue().getBytes()));
    return out;
  }

  /** The mod revision of a key (relative to {@code PREFIX}), or 0 when it does not exist. */
  long modRevision(String key) {
    GetResponse r = get(PREFIX + key, GetOption.DEFAULT);
    return r.getKvs().isEmpty() ? 0 : r.getKvs().get(0).getModRevision();
  }

  /** etcd's current revision. */
  long revision() {
    return get(PREFIX, GetOption.builder().withCountOnly(true).isPrefix(true).build())
        .getHeader()
        .getRevision();
  }

  private GetResponse get(String key, GetOption option) {
    try {
      return client
          .getKVClient()
          .get(ByteSequence.from(key, UTF_8), option)
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("etcd get " + key + ": " + e, e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
