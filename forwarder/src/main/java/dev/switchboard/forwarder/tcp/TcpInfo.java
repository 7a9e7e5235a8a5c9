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

    private TcpInfo() {
    }

    /** Bytes the kernel received on this socket so far, or -1 when unknown (closed, old kernel). */
    static long bytesReceived(Channel ch) {
        if (!ch.isOpen()) {
            return -1;
        }
        try {
            ByteBuffer info = ch.config().getOption(RAW_TCP_INFO);
            if (info == null || info.limit() < BYTES_RECEIVED_OFFSET + 8) {
                return -1;
            }
            return info.order(ByteOrder.nativeOrder()).getLong(BYTES_RECEIVED_OFFSET);
        } catch (RuntimeException e) {
            return -1;
        }
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
