package dev.switchboard.forwarder.internal;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.Native;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around a Netty 4.2.18 epoll bug that breaks half-closed connections.
 *
 * <p>When a channel's epoll interest set becomes empty, Netty 4.2.18 removes the fd from epoll
 * ({@code EPOLL_CTL_DEL}) but keeps believing it is registered, so the next interest change is an
 * {@code EPOLL_CTL_MOD} that fails with ENOENT and Netty closes the channel. The set becomes empty
 * exactly on a half-closed stream: after the peer's FIN, Netty stops asking for input and for
 * RDHUP. The next time the proxy has to wait for that socket to become writable (the client
 * half-closed its request and now downloads a large response), the connection is cut. (Netty PR
 * #16689 introduced the removal; {@code BulkTransferTest.halfClosedClientReceivesBulk} reproduces
 * it.)
 *
 * <p>The fix here keeps EPOLLERR in the interest set. The kernel reports EPOLLERR whether or not it
 * is asked for, so this changes no behaviour, but the set is never empty and Netty never removes
 * the fd. Netty only exposes the flag setter to subclasses, and its socket channels are final,
 * hence reflection. If reflection is refused, a warning is logged once and forwarding goes on
 * without the fix.
 *
 * <p>Still needed with Netty 4.2.21: its {@code EpollIoHandler} registration deletes the fd on an
 * empty set and stays "added", and {@code halfClosedClientReceivesBulk} without this fails there
 * too. Drop it when that test passes without it on the Netty in use.
 */
public final class EpollWorkaround {
  private static final Logger log = LoggerFactory.getLogger(EpollWorkaround.class);

  /**
   * {@code AbstractEpollChannel.setFlag(int)}; a constant method handle, so the JIT calls it
   * directly.
   */
  private static final MethodHandle SET_FLAG = setFlagMethod();

  private EpollWorkaround() {}

  private static MethodHandle setFlagMethod() {
    try {
      // The declaring class is package-private in Netty; its subclass EpollSocketChannel is public.
      Method m =
          Class.forName("io.netty.channel.epoll.AbstractEpollChannel")
              .getDeclaredMethod("setFlag", int.class);
      m.setAccessible(true);
      return MethodHandles.lookup()
          .unreflect(m)
          .asType(MethodType.methodType(void.class, EpollSocketChannel.class, int.class));
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      log.warn(
          "cannot apply the Netty epoll half-close workaround; half-closed connections may be cut: {}",
          e.toString());
      return null;
    }
  }

  /**
   * Call before the channel is registered (the flag then goes into the first epoll_ctl, no extra
   * system call), or on its event loop after.
   */
  public static void keepRegistered(Channel ch) {
    setFlag(ch, Native.EPOLLERR);
  }

  /**
   * Before registration: asks epoll for EPOLLIN from the start, as a {@code read()} right after
   * registration would, but inside the first epoll_ctl instead of a second one. Netty then reads
   * once when data arrives (one buffer: AUTO_READ is off) and goes back to reading on request. No
   * effect on other transports or when reflection is refused.
   */
  public static void watchInputFromStart(Channel ch) {
    setFlag(ch, Native.EPOLLIN);
  }

  private static void setFlag(Channel ch, int flag) {
    if (SET_FLAG == null || !(ch instanceof EpollSocketChannel)) {
      return;
    }
    try {
      SET_FLAG.invokeExact((EpollSocketChannel) ch, flag);
    } catch (Throwable e) { // setFlag declares IOException; it only throws once registered
      if (e instanceof Error) {
        throw (Error) e;
      }
      log.debug("epoll flag {} not set on {}: {}", flag, ch, e.toString());
    }
  }
}
