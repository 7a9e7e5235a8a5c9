package dev.switchboard.forwarder.probe;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an HTTP check asks and accepts.
 *
 * @param tls HTTPS, without verifying the server's certificate (as the kubelet's probes do: a pod's
 *     certificate is rarely issued for its IP)
 * @param path the request target, e.g. {@code /healthz}
 * @param headers extra request headers, in order
 * @param minStatus the lowest status that passes
 * @param maxStatus the highest status that passes
 */
public record HttpCheck(
    boolean tls,
    String path,
    List<Map.Entry<String, String>> headers,
    int minStatus,
    int maxStatus) {

  public HttpCheck {
    Objects.requireNonNull(path, "path");
    headers = List.copyOf(headers);
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path: \"" + path + "\" (expected: an absolute path)");
    }
    if (minStatus < 100 || maxStatus > 599 || minStatus > maxStatus) {
      throw new IllegalArgumentException(
          "minStatus, maxStatus: "
              + minStatus
              + ", "
              + maxStatus
              + " (expected: 100 <= min <= max <= 599)");
    }
  }

  /** kube-proxy's healthCheckNodePort contract: {@code GET /healthz}, 200 alone passes. */
  public static HttpCheck healthz() {
    return new HttpCheck(false, "/healthz", List.of(), 200, 200);
  }

  /** The kubelet's httpGet probe: any status from 200 to 399 passes. */
  public static HttpCheck probe(boolean tls, String path, List<Map.Entry<String, String>> headers) {
    return new HttpCheck(tls, path, headers, 200, 399);
  }
}
