package io.rrdflight.catalog;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Indexes {@code .rrd} files with the rrd module's chunk index. */
public final class RrdRecordingIndexer implements RecordingIndexer {
  @Override
  public List<IndexedRecording> index(Path file) throws IOException {
    // Wired to rrd's ChunkIndex once the reader lands (issue "rrd/").
    throw new IOException("Cannot index " + file + ": the .rrd reader is not built into this version yet");
  }
}
