package dev.switchboard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

/**
 * A test server's accept loop on a daemon thread of its own, whose {@link #close()} means "the port
 * refuses": it closes the server socket, then waits for the loop to have left {@code accept()}
 * before it returns.
 *
 * <p>Why the wait: {@link ServerSocket#close()} returns before a thread blocked in {@code accept()}
 * has left the system call, and until it has, the kernel's listening socket lives on and can take
 * (and hand to that thread) one more connection. A test that reads "closed" as "the next connect is
 * refused" then sees a connection accepted after close (a CI flake). A connection the loop accepts
 * once closing has begun is closed at once, never handed over.
 */
public final class AcceptLoop implements AutoCloseable {
  /** How long {@link #close()} waits for the loop to end before it fails. */
  public static final long STOP_TIMEOUT_MILLIS = 5_000;

  /** Takes over an accepted connection: serves it inline, or hands it on, and closes it. */
  @FunctionalInterface
  public interface Handler {
    /** On an {@link IOException} the loop closes {@code socket} and accepts the next one. */
    void accepted(Socket socket) throws IOException;
  }

  private final ServerSocket server;
  private final String address;
  private final Thread thread;
  private volatile boolean closing;

  private AcceptLoop(ServerSocket server, String threadName, Handler handler) {
    this.server = server;
    this.address = String.valueOf(server.getLocalSocketAddress());
    this.thread = new Thread(() -> run(handler), threadName);
    thread.setDaemon(true);
  }

  /**
   * Accepts on {@code server} (bound) until it is closed, handing each connection to {@code
   * handler} on the loop's thread, named {@code threadName}.
   */
  public static AcceptLoop start(ServerSocket server, String threadName, Handler handler) {
    AcceptLoop loop = new AcceptLoop(server, threadName, handler);
    loop.thread.start();
    return loop;
  }

  public ServerSocket socket() {
    return server;
  }

  private void run(Handler handler) {
    while (!server.isClosed()) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (closing) {
        closeQuietly(s); // came in between close() and the kernel's listening socket going away
        return;
      }
      try {
        handler.accepted(s);
      } catch (IOException e) {
        closeQuietly(s); // that connection's problem: next
      }
    }
  }

  /**
   * Closes the server socket and waits (up to {@link #STOP_TIMEOUT_MILLIS}) for the loop to end;
   * from then on a connect to the port is refused. Connections handed over before stay open: they
   * are the handler's. Fails with {@link IllegalStateException} if the loop does not end (a handler
   * that serves inline and hangs).
   */
  @Override
  public void close() {
    closing = true;
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (Thread.currentThread() == thread) {
      return; // closed from a handler: the loop ends when it returns
    }
    try {
      thread.join(STOP_TIMEOUT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while " + thread.getName() + " stopped", e);
    }
    if (thread.isAlive()) {
      throw new IllegalStateException(
          thread.getName()
              + ": the accept loop on "
              + address
              + " did not end within "
              + TimeUnit.MILLISECONDS.toSeconds(STOP_TIMEOUT_MILLIS)
              + " s of close()");
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing a test server's connection: nothing to do about it
    }
  }
}
