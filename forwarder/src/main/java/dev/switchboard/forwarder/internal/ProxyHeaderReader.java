package dev.switchboard.forwarder.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * First handler of a client channel whose listener accepts PROXY protocol headers. It looks at the
 * first bytes: with a PROXY signature (v1 or v2) Netty's {@link HAProxyMessageDecoder} reads the
 * header; without one the bytes pass on untouched. Either way the next handlers see exactly one
 * {@link Client} message first, then the client's bytes without the header, and this handler and
 * the decoder are gone from the pipeline.
 *
 * <p>Lenient on purpose: a client that reaches the port directly (no load balancer in front) is
 * served as itself. Accepting a header does not add trust: anyone who can reach the port could send
 * one in strict mode too.
 */
public final class ProxyHeaderReader extends ByteToMessageDecoder {
  private static final String DECODER = "proxy-header-decoder";
  private static final String CONVERTER = "proxy-header-client";

  /**
   * Who the client is.
   *
   * @param address the client the header names, or the socket's peer
   * @param fromHeader true when a PROXY header named it
   */
  public record Client(InetSocketAddress address, boolean fromHeader) {}

  private boolean decided;

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (decided) {
      return;
    }
    ProtocolDetectionResult<HAProxyProtocolVersion> detected =
        HAProxyMessageDecoder.detectProtocol(in);
    switch (detected.state()) {
      case NEEDS_MORE_DATA:
        return; // ByteToMessageDecoder asks for the next read itself
      case DETECTED:
        decided = true;
        ctx.pipeline()
            .addAfter(ctx.name(), DECODER, new HAProxyMessageDecoder())
            .addAfter(DECODER, CONVERTER, new Converter(peer(ctx)));
        break;
      default:
        decided = true;
        ctx.fireChannelRead(new Client(peer(ctx), false));
        break;
    }
    // Removing a ByteToMessageDecoder passes what it holds on, as bytes, to the next handler.
    ctx.pipeline().remove(this);
  }

  /**
   * Stops waiting for a header (the client sent nothing, or not enough to tell, within the time
   * allowed): true when the client is now served as itself ({@link Client} fired, bytes passed on),
   * false when a header had started and is incomplete (the caller should close). On the channel's
   * loop.
   */
  public static boolean giveUp(ChannelPipeline pipeline) {
    ChannelHandlerContext ctx = pipeline.context(ProxyHeaderReader.class);
    if (ctx == null) {
      return pipeline.get(CONVERTER)
          == null; // still decoding a header: false; else already decided
    }
    ProxyHeaderReader reader = (ProxyHeaderReader) ctx.handler();
    reader.decided = true;
    ctx.fireChannelRead(new Client(peer(ctx), false));
    pipeline.remove(reader);
    return true;
  }

  private static InetSocketAddress peer(ChannelHandlerContext ctx) {
    return (InetSocketAddress) ctx.channel().remoteAddress();
  }

  /** Turns the decoder's message into a {@link Client}, then steps aside. */
  private static final class Converter extends ChannelInboundHandlerAdapter {
    private final InetSocketAddress peer;

    Converter(InetSocketAddress peer) {
      this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof HAProxyMessage header)) {
        ctx.fireChannelRead(msg);
        return;
      }
      try {
        ctx.fireChannelRead(new Client(clientOf(header, peer), isProxied(header)));
      } finally {
        header.release();
        ctx.pipeline().remove(this);
      }
    }

    private static boolean isProxied(HAProxyMessage h) {
      return h.command() == HAProxyCommand.PROXY
          && h.sourceAddress() != null
          && (h.proxiedProtocol() == HAProxyProxiedProtocol.TCP4
              || h.proxiedProtocol() == HAProxyProxiedProtocol.TCP6);
    }

    /**
     * The header's source for a proxied TCP connection; the socket's peer for LOCAL or other
     * families.
     */
    private static InetSocketAddress clientOf(HAProxyMessage h, InetSocketAddress peer) {
      if (!isProxied(h)) {
        return peer;
      }
      return new InetSocketAddress(
          NetUtil.createInetAddressFromIpAddressString(h.sourceAddress()), h.sourcePort());
    }
  }
}
