package dev.switchboard.forwarder;

import dev.switchboard.checks.Checks;
import io.netty.buffer.ByteBufAllocator;

/**
 * Options of a {@link Forwarder}.
 *
 * @param ioThreads event loop threads shared by all listeners and connections
 * @param transport transport to use; {@code null} = best available (see {@link Transport#select})
 * @param allocator buffer allocator for all channels (tests pass a metered one)
 * @param observer connection hook for tracing; {@link ConnectionObserver#NOOP} for none
 */
public record ForwarderOptions(
    int ioThreads,
    Transport.Kind transport,
    ByteBufAllocator allocator,
    ConnectionObserver observer) {

  public ForwarderOptions {
    Checks.inRange(ioThreads, 1, 1024, "ioThreads");
    Checks.notNull(allocator, "allocator");
    Checks.notNull(observer, "observer");
  }

  public static ForwarderOptions defaults() {
    return new ForwarderOptions(
        Runtime.getRuntime().availableProcessors(),
        null,
        ByteBufAllocator.DEFAULT,
        ConnectionObserver.NOOP);
  }

  public ForwarderOptions withIoThreads(int v) {
    return new ForwarderOptions(v, transport, allocator, observer);
  }

  public ForwarderOptions withTransport(Transport.Kind v) {
    return new ForwarderOptions(ioThreads, v, allocator, observer);
  }

  public ForwarderOptions withAllocator(ByteBufAllocator v) {
    return new ForwarderOptions(ioThreads, transport, v, observer);
  }

  public ForwarderOptions withObserver(ConnectionObserver v) {
    return new ForwarderOptions(ioThreads, transport, allocator, v);
  }
}
