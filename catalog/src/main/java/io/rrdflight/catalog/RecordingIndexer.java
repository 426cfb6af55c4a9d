package io.rrdflight.catalog;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads what the catalog keeps of an {@code .rrd} file: one {@link IndexedRecording} per recording
 * store in it (blueprints are left out). In production this is the rrd module's chunk index; it
 * must not keep the file's data in memory.
 */
@FunctionalInterface
public interface RecordingIndexer {
  /** Throws an {@link IOException} whose message names the file and byte offset on bad input. */
  List<IndexedRecording> index(Path file) throws IOException;
}
