package dev.switchboard.forwarder.http;

import dev.switchboard.checks.Checks;
import java.time.Duration;

/**
 * What makes a TCP listener an HTTP/1.1 listener (see {@link
 * dev.switchboard.forwarder.ListenerSpec#http()}).
 *
 * @param observer told of every request and response; may set request headers
 * @param maxHeaderBytes request and response heads larger than this are refused (the connection is
 *     closed): Netty's decoder limits, per line and for all headers
 * @param maxIdlePerEndpoint endpoint connections kept open between requests, per endpoint and event
 *     loop (HAProxy's {@code http-reuse}, Envoy's HTTP/1 pool); 0 = a new endpoint connection per
 *     request, closed after it
 * @param poolIdleTimeout an idle pooled endpoint connection is closed after this long: shorter than
 *     servers' own keep-alive timeouts (nginx 75 s, Node 5 s is the exception), so that the proxy,
 *     not the server, usually closes it and no request races the server's close
 */
public record HttpOptions(
    HttpExchangeObserver observer,
    int maxHeaderBytes,
    int maxIdlePerEndpoint,
    Duration poolIdleTimeout) {

  public static final int DEFAULT_MAX_IDLE_PER_ENDPOINT = 16;
  public static final Duration DEFAULT_POOL_IDLE_TIMEOUT = Duration.ofSeconds(60);

  public HttpOptions {
    Checks.notNull(observer, "observer");
    Checks.inRange(maxHeaderBytes, 1024, 1 << 20, "maxHeaderBytes");
    Checks.inRange(maxIdlePerEndpoint, 0, 1024, "maxIdlePerEndpoint");
    Checks.positive(poolIdleTimeout, "poolIdleTimeout");
  }

  public HttpOptions(HttpExchangeObserver observer, int maxHeaderBytes) {
    this(observer, maxHeaderBytes, DEFAULT_MAX_IDLE_PER_ENDPOINT, DEFAULT_POOL_IDLE_TIMEOUT);
  }

  public static HttpOptions of(HttpExchangeObserver observer) {
    return new HttpOptions(observer, 64 * 1024);
  }

  /** The same options with another endpoint connection pool size and idle timeout. */
  public HttpOptions withPool(int newMaxIdlePerEndpoint, Duration newPoolIdleTimeout) {
    return new HttpOptions(observer, maxHeaderBytes, newMaxIdlePerEndpoint, newPoolIdleTimeout);
  }
}
