package dev.switchboard.forwarder.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/**
 * The connection rules of a pooled exchange: the close option, replayable requests, close-delimited
 * bodies.
 */
class HopByHopTest {

  @Test
  void onlyTheCloseOptionIsDropped() {
    HttpHeaders h =
        new DefaultHttpHeaders().add("Connection", "Close, TE").add("Connection", "x-private");
    HopByHop.dropClose(h);
    assertThat(h.getAll("connection")).containsExactly("TE, x-private");
    HttpHeaders only = new DefaultHttpHeaders().add("Connection", "close");
    HopByHop.dropClose(only);
    assertThat(only.contains("connection")).isFalse();
  }

  @Test
  void idempotentRequestsWithoutABodyAreReplayable() {
    assertThat(HopByHop.replayable(request(HttpMethod.GET, null))).isTrue();
    assertThat(HopByHop.replayable(request(HttpMethod.DELETE, "0"))).isTrue();
    assertThat(HopByHop.replayable(request(HttpMethod.PUT, "3"))).isFalse();
    assertThat(HopByHop.replayable(request(HttpMethod.POST, null))).isFalse();
    assertThat(HopByHop.replayable(request(HttpMethod.PATCH, null))).isFalse();
  }

  @Test
  void aResponseWithoutLengthEndsWithItsConnection() {
    HttpResponse noLength = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    assertThat(HopByHop.closeDelimited(request(HttpMethod.GET, null), noLength)).isTrue();
    assertThat(HopByHop.closeDelimited(request(HttpMethod.HEAD, null), noLength)).isFalse();
    HttpResponse sized = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    sized.headers().set("Content-Length", 0);
    assertThat(HopByHop.closeDelimited(request(HttpMethod.GET, null), sized)).isFalse();
    HttpResponse noContent =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
    assertThat(HopByHop.closeDelimited(request(HttpMethod.GET, null), noContent)).isFalse();
  }

  private static HttpRequest request(HttpMethod method, String contentLength) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, "/");
    if (contentLength != null) {
      r.headers().set("Content-Length", contentLength);
    }
    return r;
  }
}
