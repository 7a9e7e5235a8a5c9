package dev.switchboard.forwarder.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;

/**
 * What an exchange over a pooled connection must know of HTTP/1.1's connection rules: which
 * requests may be sent twice, which responses end only with their connection, and the {@code close}
 * option, which concerns one hop (RFC 9110 7.6.1) and must not cross the proxy now that client and
 * endpoint connections are no longer paired.
 */
final class HopByHop {

  private HopByHop() {}

  /**
   * Idempotent (RFC 9110 9.2.2: GET, HEAD, OPTIONS, PUT, DELETE) and without a body: may be sent
   * again, as it is, on a fresh connection when a reused one died before answering.
   */
  static boolean replayable(HttpRequest request) {
    HttpMethod m = request.method();
    boolean idempotent =
        m.equals(HttpMethod.GET)
            || m.equals(HttpMethod.HEAD)
            || m.equals(HttpMethod.OPTIONS)
            || m.equals(HttpMethod.PUT)
            || m.equals(HttpMethod.DELETE);
    return idempotent
        && !HttpUtil.isTransferEncodingChunked(request)
        && HttpUtil.getContentLength(request, 0L) == 0L;
  }

  /**
   * The response's body ends only when the endpoint closes (no length, not chunked, not bodiless).
   */
  static boolean closeDelimited(HttpRequest request, HttpResponse response) {
    int code = response.status().code();
    return code != 101
        && code != 204
        && code != 304
        && !request.method().equals(HttpMethod.HEAD)
        && !HttpUtil.isContentLengthSet(response)
        && !HttpUtil.isTransferEncodingChunked(response);
  }

  /**
   * Removes the {@code close} option from a Connection header: a client's close ends the client's
   * connection, not the pooled endpoint connection, and an endpoint's close its own connection, not
   * the client's, as Envoy and HAProxy's keep-alive mode treat them. Other options stay.
   */
  static void dropClose(HttpHeaders headers) {
    StringBuilder kept = new StringBuilder();
    for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
      for (String option : value.split(",")) {
        String o = option.trim();
        if (!o.isEmpty() && !o.equalsIgnoreCase("close")) {
          kept.append(kept.length() == 0 ? "" : ", ").append(o);
        }
      }
    }
    if (kept.length() == 0) {
      headers.remove(HttpHeaderNames.CONNECTION);
    } else {
      headers.set(HttpHeaderNames.CONNECTION, kept.toString());
    }
  }
}
