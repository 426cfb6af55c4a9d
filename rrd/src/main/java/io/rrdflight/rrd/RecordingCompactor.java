package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.proto.ArrowMsg;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Writes a compacted copy of one recording (one store) of a file: its SetStoreInfo messages as they
 * are, and its chunks through a {@link ChunkMerger}, so an entity's many small chunks become a few
 * of Rerun's compaction size. Rows, columns and values stay the same; merged chunks get fresh ids.
 * Other stores of the file (a blueprint) are left out. Reads the source once, in file order, with
 * the merger's window as the bound on decoded data.
 */
public final class RecordingCompactor {
  /** Decoded chunks held at once while merging; a few full chunks' worth. */
  public static final long WINDOW_BYTES = 16L << 20;

  private RecordingCompactor() {}

  /** What one compaction did. */
  public record Result(long chunksIn, long chunksOut, long bytesWritten) {}

  /**
   * Writes the chunks of {@code store} from {@code source} to the new file {@code out} (which must
   * not exist; on failure it is left for the caller to delete). Damage in the source fails it.
   */
  public static Result compact(RecordingSource source, StoreId store, Path out, BufferAllocator allocator) throws IOException {
    requireNonNull(source, "source is null");
    requireNonNull(store, "store is null");
    requireNonNull(out, "out is null");
    requireNonNull(allocator, "allocator is null");
    RrdWriter writer = null;
    try (RrdReader reader = RrdReader.open(source, ReadMode.STRICT);
        ChunkMerger merger = new ChunkMerger(allocator, ChunkMerger.Thresholds.RERUN_DEFAULT, WINDOW_BYTES)) {
      for (RrdMessage m = reader.next().orElse(null); m != null; m = reader.next().orElse(null)) {
        if (m instanceof RrdMessage.StoreInfo info && info.store().id().equals(store)) {
          writer = writer != null ? writer : RrdWriter.create(out, m.frame().stream().version());
          writer.writeRaw(MessageKind.SET_STORE_INFO, read(source, m.frame()));
        } else if (m instanceof RrdMessage.ChunkRef ref && ref.store().equals(store)) {
          writer = writer != null ? writer : RrdWriter.create(out, m.frame().stream().version());
          for (ArrowMsg ready : merger.add(ArrowMsgs.parseKeepingPayload(read(source, m.frame())), source.name() + " at byte " + ref.offset())) {
            writer.writeChunk(ready);
          }
        }
      }
      if (writer == null) {
        throw new RrdFormatException(source.name(), 0, "no chunk or store info of " + store + " to compact");
      }
      for (ArrowMsg ready : merger.flush()) {
        writer.writeChunk(ready);
      }
      writer.finish();
      return new Result(merger.chunksIn(), merger.chunksOut(), writer.position());
    } finally {
      if (writer != null) {
        writer.close();
      }
    }
  }

  private static ByteBuffer read(RecordingSource source, Frame frame) throws IOException {
    if (frame.payloadLength() > Integer.MAX_VALUE - 64) {
      throw new RrdFormatException(source.name(), frame.payloadOffset(), "message of " + frame.payloadLength() + " bytes is too large to copy");
    }
    ByteBuffer buffer = ByteBuffer.allocate((int) frame.payloadLength());
    source.readFully(frame.payloadOffset(), buffer);
    return buffer.flip();
  }
}
