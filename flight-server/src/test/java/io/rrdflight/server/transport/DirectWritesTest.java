package io.rrdflight.server.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DirectWritesTest {
  private static final byte[] HEADER = "header".getBytes(StandardCharsets.US_ASCII);

  @Test
  void aBufferPartlyOnTheHeapGoesOutDirectWithItsDirectMemoryUncopiedAndReleasedWithIt() {
    ByteBuf body = Unpooled.directBuffer(64).writeBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    CompositeByteBuf message = new CompositeByteBuf(UnpooledByteBufAllocator.DEFAULT, false, 2);
    message.addComponents(true, Unpooled.wrappedBuffer(HEADER), body);
    ByteBuf slice = message.slice(2, message.readableBytes() - 3).retain(); // as HTTP/2 frames cut a message
    message.release();
    byte[] expected = ByteBufUtil.getBytes(slice);
    EmbeddedChannel channel = new EmbeddedChannel(DirectWrites.INSTANCE);

    channel.writeOutbound(slice);
    ByteBuf out = channel.readOutbound();

    assertTrue(out.isDirect(), "what reaches the socket is direct");
    assertArrayEquals(expected, ByteBufUtil.getBytes(out));
    ByteBuffer[] parts = out.nioBuffers();
    assertEquals(2, parts.length);
    assertEquals(body.memoryAddress(), addressOf(parts[1]), "the direct part is the body's own memory, not a copy");
    assertEquals(1, body.refCnt(), "the body lives while the write holds it");
    out.release();
    assertEquals(0, body.refCnt(), "releasing what was written releases the message");
    channel.finishAndReleaseAll();
  }

  @Test
  void directAndHeapOnlyBuffersPassUnchanged() {
    ByteBuf direct = Unpooled.directBuffer(8).writeLong(42);
    ByteBuf heap = Unpooled.wrappedBuffer(HEADER);
    ByteBuf heapParts = Unpooled.wrappedBuffer(HEADER, HEADER); // two heap parts: netty's one copy stays
    EmbeddedChannel channel = new EmbeddedChannel(DirectWrites.INSTANCE);

    channel.writeOutbound(direct, heap, heapParts);

    assertSame(direct, channel.readOutbound());
    assertSame(heap, channel.readOutbound());
    assertSame(heapParts, channel.readOutbound());
    direct.release();
    heap.release();
    heapParts.release();
    channel.finishAndReleaseAll();
  }

  private static long addressOf(ByteBuffer direct) {
    return Unpooled.wrappedBuffer(direct).memoryAddress();
  }
}
