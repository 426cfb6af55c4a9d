package io.rrdflight.catalog;

import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.RecordingSource;
import io.rrdflight.rrd.RrdFormatException;
import io.rrdflight.rrd.StoreKind;
import java.io.IOException;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/** The production indexer, step by step, for tests that make one step fail (subclass and override it). */
public class ForwardingRecordingIndexer implements RecordingIndexer {
  private final RrdRecordingIndexer real;

  public ForwardingRecordingIndexer(BufferAllocator allocator) {
    this.real = new RrdRecordingIndexer(allocator);
  }

  @Override
  public List<IndexedRecording> index(RecordingSource recording, StoreKind kind) throws IOException {
    return real.index(recording, kind);
  }

  @Override
  public ChunkIndex chunkIndex(byte[] saved, String location) throws RrdFormatException {
    return real.chunkIndex(saved, location);
  }

  @Override
  public BufferAllocator newWorkAllocator(String name, long limit) {
    return real.newWorkAllocator(name, limit);
  }
}
