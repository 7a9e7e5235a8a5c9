package dev.switchboard.forwarder.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import java.io.IOException;

/**
 * Passes a FIN on: shuts down a socket's output once everything written before it has left.
 *
 * <p>Netty's {@code shutdownOutput()} builds a {@code ChannelOutputShutdownException} with a full
 * stack trace every time (to fail writes queued behind the FIN), which made it the largest single
 * allocation of a short forwarded connection (a fifth of the bytes). Callers only get here when the
 * outbound buffer is empty (after an empty write completed), so for epoll sockets the forwarder
 * calls shutdown(2) through Netty's own socket object instead: it records the output as shut down,
 * as Netty's path does, and nothing is written after it. Other transports take Netty's path.
 *
 * <p>On the connection's event loop.
 */
final class Fin {
  private Fin() {}

  /**
   * Shuts {@code dst}'s output down, then tells the connection the direction is done (or failed).
   */
  static void send(Channel dst, TcpConnection connection) {
    if (connection.lastDirection()) {
      // The other direction ended: dst's input was read to its end of stream, so the close
      // that follows at once sends this FIN itself (a FIN, not a reset: nothing is left unread).
      connection.directionDone(dst);
      return;
    }
    if (dst instanceof EpollSocketChannel && ((EpollSocketChannel) dst).fd() instanceof Socket) {
      try {
        ((Socket) ((EpollSocketChannel) dst).fd()).shutdown(false, true);
      } catch (IOException | RuntimeException e) {
        connection.failed(e);
        return;
      }
      connection.directionDone(dst);
      return;
    }
    ((DuplexChannel) dst)
        .shutdownOutput()
        .addListener(
            (ChannelFuture s) -> {
              if (s.isSuccess()) {
                connection.directionDone(dst);
              } else {
                connection.failed(s.cause());
              }
            });
  }
}
