package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.server.ServerLimits;
import org.junit.jupiter.api.Test;

class ChunkStreamWriteBufferTest {
  @Test
  void aWholeMessageOfChunksFitsOneTurnOfTheConnectionsWrites() {
    // HTTP/2's flow controller writes until the channel turns unwritable (high mark) and resumes, with
    // a flush, once it drains below the low mark: each turn must take a whole FetchChunks message, or
    // the stream goes out in slices, each a partial TLS record and a wrap of its own.
    int perTurn = ServerLimits.WRITE_BUFFER.high() - ServerLimits.WRITE_BUFFER.low();
    assertTrue(perTurn >= ChunkFetch.TARGET_MESSAGE_BYTES, () -> perTurn + " < " + ChunkFetch.TARGET_MESSAGE_BYTES);
  }
}
