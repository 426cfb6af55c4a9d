package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Comparator;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Decoding does not walk an LZ4 block's tokens before decompressing it (registration's verify
 * does): a wrong declared size must still fail, at its chunk, with the same message as verifying.
 */
@ExtendWith(NoLeaks.class)
class ArrowPayloadTest {
  @Test
  void declaredSizeOtherThanTheBlockHoldsFailsDecoding(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.version("0.27.3");
    RrdMessage.ChunkRef ref = FileContents.read(file, allocator).chunkRefs().stream()
        .max(Comparator.comparingLong(RrdMessage.ChunkRef::length)).orElseThrow();
    try (FileBytes bytes = FileBytes.open(file)) {
      ArrowMsgHeader msg = ArrowMsgHeader.read(bytes, ref.offset(), ref.length());
      assertTrue(msg.lz4(), "the SDK compresses chunks with LZ4");
      ByteBuffer stored = bytes.read(msg.dataOffset(), msg.dataLength(), "payload");
      long size = msg.uncompressedSize();
      try (ArrowPayload.Loaded loaded = payload(file, msg, stored, size).load(allocator)) {
        assertTrue(loaded.root().getRowCount() > 0);
      }
      for (long wrong : new long[] {size - 1, size + 1}) {
        RrdFormatException e = assertThrows(RrdFormatException.class, () -> payload(file, msg, stored, wrong).load(allocator).close());
        assertEquals("chunk payload declares " + wrong + " uncompressed bytes but its LZ4 block holds " + size, e.getMessage().substring(e.getMessage().indexOf("chunk payload")));
        assertEquals(msg.dataOffset(), e.offset());
      }
      long tooLarge = 255L * stored.remaining() + 1; // more than any LZ4 block of this length holds: refused before allocating
      RrdFormatException e = assertThrows(RrdFormatException.class, () -> payload(file, msg, stored, tooLarge).load(allocator).close());
      assertTrue(e.getMessage().contains("more than its " + stored.remaining() + " bytes of LZ4 block can hold"), e.getMessage());
    }
  }

  private static ArrowPayload payload(Path file, ArrowMsgHeader msg, ByteBuffer stored, long declared) {
    return new ArrowPayload(file.toString(), msg.dataOffset(), stored.duplicate(), true, declared, "chunk payload");
  }
}
