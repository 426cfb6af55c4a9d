package io.rrdflight.catalog;

import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.RrdFormatException;
import io.rrdflight.rrd.StoreKind;
import java.io.IOException;
import io.rrdflight.rrd.RecordingSource;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Reads what the catalog keeps of an {@code .rrd} recording (a file or an object): one {@link IndexedRecording} per store of
 * the asked kind in it (recordings for a recording dataset, blueprints for a blueprint dataset). In
 * production this is the rrd module's chunk index; it must not keep the file's data in memory.
 */
@FunctionalInterface
public interface RecordingIndexer {
  /** Throws an {@link IOException} whose message names the file and byte offset on bad input. */
  List<IndexedRecording> index(RecordingSource recording, StoreKind kind) throws IOException;

  /**
   * What {@link #index} gives, when the file's footer alone gives it (cheap enough for a client's
   * call); empty otherwise, and by default: then only {@link #index} reads the file.
   */
  default Optional<List<IndexedRecording>> indexFromFooter(RecordingSource recording, StoreKind kind) throws IOException {
    return Optional.empty();
  }

  /**
   * Reads back a chunk index this indexer made ({@link IndexedRecording#chunkIndex()}) for the
   * recording at {@code location}; by default exactly as saved.
   */
  default ChunkIndex chunkIndex(byte[] saved, String location) throws RrdFormatException {
    return ChunkIndex.fromBytes(saved, location);
  }

  /**
   * An allocator, at most {@code limit} bytes, for other work on these recordings (compacting them);
   * the caller closes it. By default one of its own; the production indexer gives a child of the
   * server's, so that this memory counts against the server's limit too.
   */
  default BufferAllocator newWorkAllocator(String name, long limit) {
    return new RootAllocator(limit);
  }
}
