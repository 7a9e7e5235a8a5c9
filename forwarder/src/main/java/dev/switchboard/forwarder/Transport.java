package dev.switchboard.forwarder;

import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.spi.SelectorProvider;
import java.util.Locale;
import java.util.concurrent.ThreadFactory;

/**
 * The Netty transport in use: native epoll (the default on Linux, the only one with splice),
 * io_uring where the kernel allows it, NIO anywhere else. Chosen once per {@link Forwarder}.
 *
 * <p>Override with {@link ForwarderOptions#transport()} or the system property {@code
 * switchboard.forwarder.transport} = {@code epoll | io_uring | nio}.
 */
public final class Transport {

  /** System property naming the preferred transport. */
  public static final String PROPERTY = "switchboard.forwarder.transport";

  public enum Kind {
    EPOLL,
    IO_URING,
    NIO
  }

  private final Kind kind;

  private Transport(Kind kind) {
    this.kind = kind;
  }

  /**
   * The given kind, which must be available; with {@code null}, the property's kind, else the best
   * available (epoll, then io_uring, then NIO).
   *
   * @throws IllegalStateException when a kind is asked for explicitly and cannot load here
   */
  public static Transport select(Kind preferred) {
    Kind wanted = preferred;
    if (wanted == null) {
      String p = System.getProperty(PROPERTY, "").trim();
      if (!p.isEmpty()) {
        try {
          wanted = Kind.valueOf(p.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              PROPERTY + ": " + p + " (expected: epoll, io_uring or nio)", e);
        }
      }
    }
    if (wanted != null) {
      Throwable why = unavailabilityCause(wanted);
      if (why != null) {
        throw new IllegalStateException("transport " + wanted + " is not available here", why);
      }
      return new Transport(wanted);
    }
    for (Kind k : Kind.values()) {
      if (unavailabilityCause(k) == null) {
        return new Transport(k);
      }
    }
    throw new AssertionError("NIO is always available");
  }

  public static boolean isAvailable(Kind kind) {
    return unavailabilityCause(kind) == null;
  }

  private static Throwable unavailabilityCause(Kind kind) {
    try {
      switch (kind) {
        case EPOLL:
          return Epoll.unavailabilityCause();
        case IO_URING:
          return IoUring.unavailabilityCause();
        default:
          return null;
      }
    } catch (LinkageError e) { // the native or classes jar is not on the class path
      return e;
    }
  }

  public Kind kind() {
    return kind;
  }

  /** Only epoll stream channels can splice(2) to each other in Netty. */
  public boolean supportsSplice() {
    return kind == Kind.EPOLL;
  }

  public EventLoopGroup newEventLoopGroup(int threads, ThreadFactory threadFactory) {
    return new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory());
  }

  private IoHandlerFactory ioHandlerFactory() {
    switch (kind) {
      case EPOLL:
        return EpollIoHandler.newFactory();
      case IO_URING:
        return IoUringIoHandler.newFactory();
      default:
        return NioIoHandler.newFactory();
    }
  }

  public Class<? extends ServerChannel> serverSocketChannel() {
    switch (kind) {
      case EPOLL:
        return EpollServerSocketChannel.class;
      case IO_URING:
        return IoUringServerSocketChannel.class;
      default:
        return NioServerSocketChannel.class;
    }
  }

  public Class<? extends SocketChannel> socketChannel() {
    switch (kind) {
      case EPOLL:
        return EpollSocketChannel.class;
      case IO_URING:
        return IoUringSocketChannel.class;
      default:
        return NioSocketChannel.class;
    }
  }

  /**
   * A new, unregistered server socket for {@code bind}: of the address's own family, so an IPv4
   * listener gets an AF_INET socket rather than a dual-stack one (whose accepted sockets cost an
   * extra option call each and carry IPv4-mapped addresses). io_uring's channel has no family
   * choice.
   */
  public ServerChannel newServerSocketChannel(InetSocketAddress bind) {
    SocketProtocolFamily family = family(bind);
    switch (kind) {
      case EPOLL:
        return new EpollServerSocketChannel(family);
      case IO_URING:
        return new IoUringServerSocketChannel();
      default:
        return new NioServerSocketChannel(SelectorProvider.provider(), family);
    }
  }

  /** A new, unregistered stream socket to connect to {@code remote}, of the address's family. */
  public SocketChannel newSocketChannel(InetSocketAddress remote) {
    SocketProtocolFamily family = family(remote);
    switch (kind) {
      case EPOLL:
        return new EpollSocketChannel(family);
      case IO_URING:
        return new IoUringSocketChannel();
      default:
        return new NioSocketChannel(SelectorProvider.provider(), family);
    }
  }

  private static SocketProtocolFamily family(InetSocketAddress address) {
    return address.getAddress() instanceof Inet4Address
        ? SocketProtocolFamily.INET
        : SocketProtocolFamily.INET6;
  }

  public Class<? extends DatagramChannel> datagramChannel() {
    switch (kind) {
      case EPOLL:
        return EpollDatagramChannel.class;
      case IO_URING:
        return IoUringDatagramChannel.class;
      default:
        return NioDatagramChannel.class;
    }
  }

  /**
   * The SO_REUSEPORT option of this transport (epoll's and io_uring's is {@link
   * UnixChannelOption#SO_REUSEPORT}).
   */
  public ChannelOption<Boolean> reusePortOption() {
    return kind == Kind.NIO
        ? NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT)
        : UnixChannelOption.SO_REUSEPORT;
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(Locale.ROOT);
  }
}
