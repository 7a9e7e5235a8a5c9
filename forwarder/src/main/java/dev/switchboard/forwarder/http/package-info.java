/**
 * HTTP/1.1 mode of TCP listeners: requests and responses are parsed (not just copied) so that a
 * per-request hook ({@link dev.switchboard.forwarder.http.HttpExchangeObserver}) can see each
 * exchange and set headers (trace context) on the way to the endpoint. Keep-alive and pipelining
 * pass through: each client connection has one endpoint connection, requests go to it in order,
 * responses come back in order. Selected by {@link dev.switchboard.forwarder.ListenerSpec#http()}.
 */
package dev.switchboard.forwarder.http;
