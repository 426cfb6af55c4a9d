package io.rrdflight.rrd;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;

/**
 * Everything a streaming read of a file yields, with every chunk decoded and reduced to a comparable
 * digest, so tests can compare what two files hold.
 */
record FileContents(List<Store> stores, List<String> chunks, List<RrdMessage> messages, List<String> warnings) {

  static FileContents read(Path file, BufferAllocator allocator) throws IOException {
    List<Store> stores = new ArrayList<>();
    List<String> chunks = new ArrayList<>();
    List<RrdMessage> messages = new ArrayList<>();
    try (RrdReader reader = RrdReader.open(file)) {
      for (Optional<RrdMessage> m = reader.next(); m.isPresent(); m = reader.next()) {
        messages.add(m.get());
        if (m.get() instanceof RrdMessage.StoreInfo info) {
          stores.add(info.store());
        } else if (m.get() instanceof RrdMessage.ChunkRef ref) {
          try (Chunk chunk = reader.readChunk(ref, allocator)) {
            chunks.add(ref.store() + " " + digest(chunk));
          }
        }
      }
      return new FileContents(stores, chunks, messages, reader.warnings());
    }
  }

  /** Id, entity, rows and a hash of every cell: equal digests mean equal chunks. */
  static String digest(Chunk chunk) {
    int hash = 0;
    for (FieldVector vector : chunk.root().getFieldVectors()) {
      hash = 31 * hash + vector.getField().hashCode();
      for (int row = 0; row < vector.getValueCount(); row++) {
        hash = 31 * hash + vector.hashCode(row);
      }
    }
    return chunk.id() + " " + chunk.entityPath() + " rows=" + chunk.rowCount() + " content=" + hash;
  }

  List<RrdMessage.ChunkRef> chunkRefs() {
    return messages.stream().filter(RrdMessage.ChunkRef.class::isInstance).map(RrdMessage.ChunkRef.class::cast).toList();
  }
}
