package io.rrdflight.server.redap;

import io.rrdflight.rrd.RrdMessage;
import io.rrdflight.rrd.RrdReader;
import io.rrdflight.rrd.StoreId;
import io.rrdflight.rrd.StoreKind;
import java.io.IOException;
import io.rrdflight.rrd.ReadMode;
import io.rrdflight.rrd.RecordingSource;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the recording ids of an .rrd file's stores of one kind with the rrd module's reader: the
 * stores it announces and the stores its chunks belong to (a chunk may come without an
 * announcement). A file with a verified 0.28+ footer is answered from the footer alone; otherwise
 * only message headers and store messages are read, and chunk payloads are skipped.
 */
final class RrdRecordingProbe implements RecordingProbe {
  @Override
  public List<String> recordingIds(RecordingSource recording, StoreKind kind) throws IOException {
    Optional<List<StoreId>> fromFooter = RrdReader.storesFromFooter(recording);
    if (fromFooter.isPresent()) {
      return fromFooter.get().stream().filter(s -> s.kind() == kind).map(StoreId::recordingId).distinct().toList();
    }
    Set<String> ids = new LinkedHashSet<>();
    try (RrdReader reader = RrdReader.open(recording, ReadMode.STRICT)) {
      for (Optional<RrdMessage> next = reader.next(); next.isPresent(); next = reader.next()) {
        StoreId store = null;
        if (next.get() instanceof RrdMessage.StoreInfo info) {
          store = info.store().id();
        } else if (next.get() instanceof RrdMessage.ChunkRef chunk) {
          store = chunk.store();
        }
        if (store != null && store.kind() == kind) {
          ids.add(store.recordingId());
        }
      }
    }
    return List.copyOf(ids);
  }
}
