package io.rrdflight.rrd;

import java.util.OptionalLong;

/**
 * What a chunk takes once decoded, as far as its file tells without decoding it.
 *
 * @param declaredHeapBytes the heap size its writer computed and stored in the chunk's schema
 *     metadata ({@code rerun:heap_size_bytes}, written by Rerun 0.24 up to about 0.30); Rerun's
 *     readers adopt it as the decoded chunk's size instead of measuring
 * @param ipcBytes the length of the chunk's Arrow IPC stream once decompressed (the ArrowMsg's
 *     {@code uncompressed_size}, or a 0.28+ footer's {@code chunk_byte_size_uncompressed}): the
 *     column buffers plus the schema, the closest measure when nothing is declared
 */
public record ChunkSizes(OptionalLong declaredHeapBytes, long ipcBytes) {
  public ChunkSizes {
    java.util.Objects.requireNonNull(declaredHeapBytes, "declaredHeapBytes is null");
    if (ipcBytes < 0 || declaredHeapBytes.orElse(0) < 0) {
      throw new IllegalArgumentException("chunk sizes cannot be negative: " + declaredHeapBytes + ", " + ipcBytes);
    }
  }

  /** Nothing declared: only the IPC stream's length is known. */
  public static ChunkSizes undeclared(long ipcBytes) {
    return new ChunkSizes(OptionalLong.empty(), ipcBytes);
  }
}
