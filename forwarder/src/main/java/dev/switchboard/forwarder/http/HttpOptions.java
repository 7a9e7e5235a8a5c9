package dev.switchboard.forwarder.http;

import dev.switchboard.checks.Checks;

/**
 * What makes a TCP listener an HTTP/1.1 listener (see {@link dev.switchboard.forwarder.ListenerSpec#http()}).
 *
 * @param observer told of every request and response; may set request headers
 * @param maxHeaderBytes request and response heads larger than this are refused (the connection is
 *     closed): Netty's decoder limits, per line and for all headers
 */
public record HttpOptions(HttpExchangeObserver observer, int maxHeaderBytes) {

    public HttpOptions {
        Checks.notNull(observer, "observer");
        Checks.inRange(maxHeaderBytes, 1024, 1 << 20, "maxHeaderBytes");
    }

    public static HttpOptions of(HttpExchangeObserver observer) {
        return new HttpOptions(observer, 64 * 1024);
    }
}
