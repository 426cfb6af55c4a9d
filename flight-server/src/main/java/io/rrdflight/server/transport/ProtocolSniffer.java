package io.rrdflight.server.transport;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of every connection: reads the first bytes and decides. The HTTP/2 client
 * preface goes to gRPC (this handler replaces itself with gRPC's, which receives every byte read so
 * far); anything else is read as one HTTP/1.1 request, answered, and the connection closed.
 *
 * <p>It also enforces the {@link ConnectionLimits}: a connection beyond the cap is closed as soon as
 * it opens, and one that has not made itself known within the first-bytes timeout is closed.
 */
final class ProtocolSniffer extends ByteToMessageDecoder {
  private static final byte[] HTTP2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  /** An HTTP/1.1 request head larger than this is not a /version probe; refuse it. */
  private static final int MAX_HTTP1_HEAD = 16 * 1024;

  private final ChannelHandler grpcHandler;
  private final HttpEndpoints http;
  private final ConnectionLimits limits;
  /** gRPC's "start negotiating" event, held back until we know the connection is HTTP/2. */
  private Object negotiationEvent;
  private ScheduledFuture<?> firstBytesTimeout;

  ProtocolSniffer(ChannelHandler grpcHandler, HttpEndpoints http, ConnectionLimits limits) {
    this.grpcHandler = requireNonNull(grpcHandler, "grpcHandler is null");
    this.http = requireNonNull(http, "http is null");
    this.limits = requireNonNull(limits, "limits is null");
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (!limits.tryOpen()) {
      ctx.channel().close();
      return;
    }
    ctx.channel().closeFuture().addListener(f -> limits.closed());
    long millis = limits.firstBytesTimeout().toMillis();
    firstBytesTimeout = ctx.executor().schedule(() -> {
      ctx.channel().close(); // still undecided: silent, or a request head that never ends
    }, millis, TimeUnit.MILLISECONDS);
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    if (firstBytesTimeout != null) {
      firstBytesTimeout.cancel(false);
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int seen = Math.min(in.readableBytes(), HTTP2_PREFACE.length);
    if (startsWith(in, HTTP2_PREFACE, seen)) {
      if (seen == HTTP2_PREFACE.length) {
        handOverToGrpc(ctx);
      }
      return; // a prefix of the preface so far: wait for more bytes
    }
    int headEnd = indexOf(in, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    if (headEnd < 0) {
      if (in.readableBytes() > MAX_HTTP1_HEAD) {
        reply(ctx, in, http.respond("TOO-LARGE"));
      }
      return;
    }
    int lineEnd = indexOf(in, "\r\n".getBytes(StandardCharsets.US_ASCII));
    String requestLine = in.toString(in.readerIndex(), lineEnd - in.readerIndex(), StandardCharsets.US_ASCII);
    reply(ctx, in, http.respond(requestLine));
  }

  /**
   * gRPC fires its negotiation event as soon as the connection opens, before we know the protocol;
   * we keep it and pass it on once gRPC's handler is in place. Order matters: gRPC's handler, then
   * the event (which sets up HTTP/2), then the bytes read so far, which removing this decoder passes on.
   */
  private void handOverToGrpc(ChannelHandlerContext ctx) {
    ctx.pipeline().addFirst(DirectWrites.INSTANCE);
    ctx.pipeline().addAfter(ctx.name(), null, grpcHandler);
    if (negotiationEvent != null) {
      ctx.fireUserEventTriggered(negotiationEvent);
      negotiationEvent = null;
    }
    ctx.pipeline().remove(this);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event.getClass().getName().equals("io.grpc.netty.ProtocolNegotiationEvent")) {
      negotiationEvent = event;
      return;
    }
    super.userEventTriggered(ctx, event);
  }

  private static void reply(ChannelHandlerContext ctx, ByteBuf in, byte[] response) {
    in.skipBytes(in.readableBytes());
    // Outbound from here goes straight to the socket: gRPC's write-buffering handler sits after us.
    ctx.writeAndFlush(Unpooled.wrappedBuffer(response)).addListener(ChannelFutureListener.CLOSE);
  }

  private static boolean startsWith(ByteBuf in, byte[] prefix, int length) {
    for (int i = 0; i < length; i++) {
      if (in.getByte(in.readerIndex() + i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(ByteBuf in, byte[] needle) {
    int end = in.writerIndex() - needle.length;
    outer:
    for (int i = in.readerIndex(); i <= end; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (in.getByte(i + j) != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
