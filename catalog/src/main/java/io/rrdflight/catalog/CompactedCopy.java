package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

/**
 * A partition's compacted copy in the data dir ({@link Compactions}): the same rows as its
 * recording in fewer, larger chunks. The original's stamp ({@link Partition#file()}) still governs:
 * when the original changes the copy is not served, and registering it again drops the copy.
 *
 * @param file the copy as written: path, size, modification time
 * @param chunkCount how many chunks the copy has
 */
public record CompactedCopy(FileStamp file, long chunkCount) {
  public CompactedCopy {
    requireNonNull(file, "file is null");
  }
}
