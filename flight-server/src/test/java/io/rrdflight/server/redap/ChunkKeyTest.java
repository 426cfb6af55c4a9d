package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.EntryId;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChunkKeyTest {
  @Test
  void aKeyReadsBackAsItWasWritten() {
    ChunkKey key = new ChunkKey(new EntryId(0x1860390B087BC65FL, 0x602d68eb646c385cL), "rec-ünïcode", "base", 123_456_789_012L, 4096, -1, 42);
    assertEquals(key, ChunkKey.decode(key.encode()));
  }

  @Test
  void aKeyIntoACompactedCopySaysSoAndAKeyOfTheFirstFormatNamesTheFile() {
    ChunkKey copy = new ChunkKey(new EntryId(1, 2), "p", "base", 10, 20, 3, 4, true);
    assertEquals(copy, ChunkKey.decode(copy.encode()));
    byte[] file = new ChunkKey(new EntryId(1, 2), "p", "base", 10, 20, 3, 4).encode();
    byte[] firstFormat = Arrays.copyOf(file, file.length - 1); // version 1 had no copy flag
    firstFormat[1] = 1;
    assertEquals(new ChunkKey(new EntryId(1, 2), "p", "base", 10, 20, 3, 4, false), ChunkKey.decode(firstFormat));
  }

  @Test
  void malformedKeysAreInvalidArguments() {
    byte[] good = new ChunkKey(new EntryId(1, 2), "p", "base", 10, 20, 3, 4).encode();
    for (byte[] bad : new byte[][] {new byte[0], Arrays.copyOf(good, good.length - 1), Arrays.copyOf(good, good.length + 1), "chunk_123".getBytes()}) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ChunkKey.decode(bad));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }
  }
}
