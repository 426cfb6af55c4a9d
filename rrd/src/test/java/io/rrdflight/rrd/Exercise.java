package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;

/** Puts a possibly damaged file through every way of reading it. */
final class Exercise {
  private Exercise() {}

  /** Streams every message and decodes every chunk, strictly; throws at the first damage. */
  static void strictly(Path file, BufferAllocator allocator) throws IOException {
    try (RrdReader reader = RrdReader.open(file)) {
      for (Optional<RrdMessage> m = reader.next(); m.isPresent(); m = reader.next()) {
        if (m.get() instanceof RrdMessage.ChunkRef ref) {
          try (Chunk chunk = reader.readChunk(ref, allocator)) {
            touch(chunk);
          }
        }
      }
    }
  }

  /**
   * Reads the file strictly, indexes it strictly and in salvage mode, inspects it, and decodes what
   * the index found. Only RrdFormatException may come out of the strict reads, nothing out of salvage
   * or inspect.
   */
  static void everything(Path file, BufferAllocator allocator) throws IOException {
    try {
      strictly(file, allocator);
    } catch (RrdFormatException expected) {
      assertTrue(expected.getMessage().startsWith(file + " at byte "), expected.getMessage());
    }
    try {
      ChunkIndex.build(file, allocator);
    } catch (RrdFormatException expected) {
      assertTrue(expected.getMessage().startsWith(file + " at byte "), expected.getMessage());
    }
    ChunkIndex salvaged;
    try {
      salvaged = ChunkIndex.build(file, allocator, ReadMode.SALVAGE);
    } catch (RrdFormatException e) {
      fail("salvage mode must not throw for " + file, e);
      return;
    }
    try {
      RrdSummary.inspect(file);
    } catch (RrdFormatException e) {
      fail("inspect reports damage, it must not throw it, for " + file, e);
    }
    for (IndexedChunk chunk : salvaged.chunks()) {
      try (Chunk decoded = RrdReader.readChunk(file, chunk.offset(), chunk.length(), allocator)) {
        touch(decoded);
      } catch (RrdFormatException expected) {
        // A footer index does not decode chunks; damage inside one shows when it is read.
      }
    }
  }

  /** Reads every cell, so that bad offsets that slipped through would surface here. */
  private static void touch(Chunk chunk) {
    chunk.root().getFieldVectors().forEach(v -> {
      for (int row = 0; row < v.getValueCount(); row++) {
        v.getObject(row);
      }
    });
  }
}
