package dev.switchboard.forwarder;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.concurrent.atomic.LongAdder;

/**
 * An unpooled direct allocator that knows exactly how much memory its live buffers hold (Netty's
 * unpooled metric: added on allocation, taken off on release) and how much it ever handed out. Used
 * only by the forwarder under test; test clients and backends are plain java.net sockets, so every
 * byte counted here is held by the proxy.
 */
public final class MeteredAllocator extends AbstractByteBufAllocator {
  final LongAdder allocatedBytes = new LongAdder();
  private final UnpooledByteBufAllocator delegate =
      new UnpooledByteBufAllocator(true, false, false);

  public MeteredAllocator() {
    super(true);
  }

  public long liveDirectBytes() {
    return delegate.metric().usedDirectMemory();
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    allocatedBytes.add(initialCapacity);
    return delegate.directBuffer(initialCapacity, maxCapacity);
  }

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    allocatedBytes.add(initialCapacity);
    return delegate.heapBuffer(initialCapacity, maxCapacity);
  }

  @Override
  public boolean isDirectBufferPooled() {
    return false;
  }
}
