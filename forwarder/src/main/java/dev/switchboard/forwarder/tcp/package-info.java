/**
 * TCP forwarding (implementation, not API): accept gate, per-connection connect/retry, copy relay with
 * back-pressure and half-close, splice relay for epoll.
 */
package dev.switchboard.forwarder.tcp;
