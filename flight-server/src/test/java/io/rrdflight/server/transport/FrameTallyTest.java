package io.rrdflight.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class FrameTallyTest {
  @Test
  void countsTlsRecordsWhoseHeadersAndPayloadsSpanPieces() {
    ByteBuf stream = Unpooled.buffer();
    record(stream, 23, 16 * 1024 + 17);
    record(stream, 23, 100);
    record(stream, 22, 40);
    FrameTally tally = FrameTally.tlsRecords();
    for (int at = 0; at < stream.writerIndex(); at += 3) { // 3-byte pieces split every header
      tally.scan(stream.slice(at, Math.min(3, stream.writerIndex() - at)));
    }
    assertEquals(3, tally.units());
    assertEquals(2, tally.units(23));
    assertEquals(16 * 1024 + 17 + 100, tally.payloadBytes(23));
    assertEquals(1, tally.full());
    assertEquals(0, stream.readerIndex(), "scanning must not consume");
    stream.release();
  }

  @Test
  void countsTheClientsHttp2FramesAfterItsPreface() {
    ByteBuf stream = Unpooled.buffer();
    stream.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    frame(stream, 4, 12); // SETTINGS
    frame(stream, 1, 30); // HEADERS: a call
    frame(stream, 0, 5);  // DATA
    frame(stream, 1, 30);
    FrameTally tally = FrameTally.http2Frames(true);
    tally.scan(stream.slice(0, 30));
    tally.scan(stream.slice(30, stream.writerIndex() - 30));
    assertEquals(2, tally.units(1));
    assertEquals(1, tally.units(0));
    assertEquals(5, tally.payloadBytes(0));
    stream.release();
  }

  private static void record(ByteBuf out, int type, int length) {
    out.writeByte(type).writeShort(0x0303).writeShort(length).writeZero(length);
  }

  private static void frame(ByteBuf out, int type, int length) {
    out.writeMedium(length).writeByte(type).writeByte(0).writeInt(1).writeZero(length);
  }
}
