/**
 * TCP forwarding (implementation, not API): the byte relay of a connection whose lifecycle
 * (connect/retry, close, report) is {@code internal.ConnectionLifecycle}: copy relay with
 * back-pressure and half-close, splice relay for epoll.
 */
package dev.switchboard.forwarder.tcp;
