/**
 * The forwarding engine: Netty TCP/UDP proxying and endpoint picking; no gRPC, no protobuf, no
 * etcd.
 *
 * <p>API: {@link dev.switchboard.forwarder.Forwarder} (event loops, listeners), {@link
 * dev.switchboard.forwarder.ListenerSpec} + {@link dev.switchboard.forwarder.ServiceTarget} (what
 * to bind, where to forward), {@link dev.switchboard.forwarder.Listener} (update, stats, close),
 * {@link dev.switchboard.forwarder.ConnectionObserver} (tracing hook). Subpackages {@code tcp},
 * {@code udp} and {@code internal} are implementation; {@code pick} is public for custom pickers
 * (Maglev).
 */
package dev.switchboard.forwarder;
