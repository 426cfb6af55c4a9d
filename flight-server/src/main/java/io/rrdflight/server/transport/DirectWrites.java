package io.rrdflight.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.nio.ByteBuffer;

/**
 * Hands the socket the direct memory of an outgoing buffer that is only partly on the heap, instead
 * of letting netty copy all of it. An Arrow Flight batch sent without a copy (see the Flight door's
 * {@code BatchStreamer}) reaches the socket as slices of one composite buffer: a few hundred bytes of
 * protobuf header and padding on the heap, megabytes of Arrow buffers in direct memory. Netty's NIO
 * channel copies any buffer that is not wholly direct into a fresh pooled direct buffer, which in a
 * filled query view was 11% of the server's CPU (the copy, and the zeroing of the pool chunks it kept
 * allocating). Here the heap parts alone are copied; the direct parts go out as they are.
 *
 * <p>Stateless and shared; first in the pipeline, so it sees what goes to the socket (with TLS, the
 * engine's output, which is direct already and passes untouched).
 */
@ChannelHandler.Sharable
final class DirectWrites extends ChannelOutboundHandlerAdapter {
  static final DirectWrites INSTANCE = new DirectWrites();

  private DirectWrites() {}

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf buf && !buf.isDirect() && buf.nioBufferCount() > 1) {
      ByteBuffer[] parts = buf.nioBuffers();
      if (anyDirect(parts)) {
        ctx.write(directParts(ctx.alloc(), buf, parts), promise);
        return;
      }
    }
    ctx.write(msg, promise); // direct already, or all on the heap: netty's one copy is the cheapest
  }

  private static boolean anyDirect(ByteBuffer[] parts) {
    for (ByteBuffer part : parts) {
      if (part.isDirect()) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code buf}'s readable bytes ({@code parts}, its NIO buffers) as one buffer of direct parts: its
   * direct memory as is, its heap parts copied. The result owns {@code buf}: releasing it releases {@code buf}.
   */
  private static ByteBuf directParts(ByteBufAllocator alloc, ByteBuf buf, ByteBuffer[] parts) {
    CompositeByteBuf out = new CompositeByteBuf(alloc, true, parts.length) {
      @Override
      protected void deallocate() {
        try {
          super.deallocate();
        } finally {
          buf.release(); // the direct parts were views of its memory
        }
      }
    };
    try {
      for (ByteBuffer part : parts) {
        int length = part.remaining();
        if (length == 0) {
          continue;
        }
        ByteBuf piece = part.isDirect() ? Unpooled.wrappedBuffer(part) : alloc.directBuffer(length).writeBytes(part);
        out.addComponent(true, piece);
      }
      return out;
    } catch (RuntimeException | Error e) {
      out.release();
      throw e;
    }
  }
}
