package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

/**
 * A partition's compacted copy in the data dir ({@link Compactions}): the same rows as its
 * recording in fewer, larger chunks. The original's stamp ({@link Partition#file()}) still governs:
 * when the original changes the copy is not served, and registering it again drops the copy.
 *
 * <p>A copy is served only after this process checked it whole against {@code crc32c}
 * (Compactions: at start, in the background; a copy it made itself is checked as it is indexed), so
 * bytes damaged in place, even with size and modification time kept, are never served.
 *
 * @param file the copy as written: path, size, modification time
 * @param chunkCount how many chunks the copy has
 * @param crc32c the CRC-32C of the whole copy, or {@link #UNKNOWN_CRC} for a copy recorded before
 *     checksums were (it is made again)
 */
public record CompactedCopy(FileStamp file, long chunkCount, long crc32c) {
  /** CRC-32C values are 32-bit: this is none of them. */
  public static final long UNKNOWN_CRC = -1;

  public CompactedCopy {
    requireNonNull(file, "file is null");
  }
}
