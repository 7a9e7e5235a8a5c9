package dev.switchboard.forwarder.internal;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionObserver;
import dev.switchboard.forwarder.ConnectionSummary;
import dev.switchboard.forwarder.Transport;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every listener of one forwarder shares: transport, event loops, allocator, observer.
 * Immutable.
 */
public final class ForwarderContext {
  private static final Logger log = LoggerFactory.getLogger(ForwarderContext.class);

  private final Transport transport;
  private final EventLoopGroup group;
  private final ByteBufAllocator allocator;
  private final ConnectionObserver observer;
  private final AtomicLong ids = new AtomicLong();

  /**
   * Set once by {@code Forwarder.close()}: connections ending after it end as CLOSED, not ERROR.
   */
  private volatile boolean shuttingDown;

  public ForwarderContext(
      Transport transport,
      EventLoopGroup group,
      ByteBufAllocator allocator,
      ConnectionObserver observer) {
    this.transport = transport;
    this.group = group;
    this.allocator = allocator;
    this.observer = observer;
  }

  public Transport transport() {
    return transport;
  }

  public EventLoopGroup group() {
    return group;
  }

  public ByteBufAllocator allocator() {
    return allocator;
  }

  public boolean shuttingDown() {
    return shuttingDown;
  }

  public void shutDown() {
    shuttingDown = true;
  }

  public long nextId() {
    return ids.incrementAndGet();
  }

  /** Calls the observer; its failures are logged, never allowed to break forwarding. */
  public void opened(ConnectionInfo c) {
    try {
      observer.onOpen(c);
    } catch (RuntimeException e) {
      log.warn("ConnectionObserver.onOpen failed for {}", c, e);
    }
  }

  public void closed(ConnectionInfo c, ConnectionSummary s) {
    try {
      observer.onClose(c, s);
    } catch (RuntimeException e) {
      log.warn("ConnectionObserver.onClose failed for {}", c, e);
    }
  }
}
