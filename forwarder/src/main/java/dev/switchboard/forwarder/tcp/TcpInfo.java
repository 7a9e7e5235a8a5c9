package dev.switchboard.forwarder.tcp;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import io.netty.channel.unix.RawUnixChannelOption;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads Linux TCP_INFO of an epoll socket. Spliced bytes never pass through Java, so the kernel's
 * counters are the only way to count them and to see when a spliced connection last moved data.
 */
final class TcpInfo {
  private static final int IPPROTO_TCP = 6;
  private static final int TCP_INFO = 11;

  /** Offset of {@code __u64 tcpi_bytes_received} in {@code struct tcp_info} (Linux >= 4.1). */
  private static final int BYTES_RECEIVED_OFFSET = 128;

  private static final RawUnixChannelOption RAW_TCP_INFO =
      new RawUnixChannelOption("TCP_INFO", IPPROTO_TCP, TCP_INFO, 232);

  private TcpInfo() {}

  /**
   * Data bytes the kernel received on this socket so far, or -1 when unknown (closed, old kernel).
   * The kernel counts the peer's FIN as one byte; it is taken off again when the caller read the
   * end of stream or the socket's state says a FIN arrived (state and counter come from one
   * getsockopt). A socket that is fully closed (state CLOSE) and whose end was not read may be one
   * byte off.
   */
  static long bytesReceived(Channel ch, boolean endOfStreamRead) {
    if (!ch.isOpen()) {
      return -1;
    }
    try {
      ByteBuffer info = ch.config().getOption(RAW_TCP_INFO);
      if (info == null || info.limit() < BYTES_RECEIVED_OFFSET + 8) {
        return -1;
      }
      long received = info.order(ByteOrder.nativeOrder()).getLong(BYTES_RECEIVED_OFFSET);
      return endOfStreamRead || finReceived(info.get(0)) ? received - 1 : received;
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /**
   * TIME_WAIT, CLOSE_WAIT, LAST_ACK, CLOSING: the states after the peer's FIN
   * (include/net/tcp_states.h).
   */
  private static boolean finReceived(byte state) {
    return state == 6 || state == 8 || state == 9 || state == 11;
  }

  /** Milliseconds since data was last sent or received on this socket, or -1 when unknown. */
  static long millisSinceData(EpollSocketChannel ch) {
    if (!ch.isOpen()) {
      return -1;
    }
    try {
      EpollTcpInfo info = ch.tcpInfo();
      return Math.min(info.lastDataRecv(), info.lastDataSent());
    } catch (RuntimeException e) {
      return -1;
    }
  }
}
