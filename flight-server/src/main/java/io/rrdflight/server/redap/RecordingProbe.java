package io.rrdflight.server.redap;

import io.rrdflight.rrd.StoreKind;
import java.io.IOException;
import io.rrdflight.rrd.RecordingSource;
import java.util.List;

/**
 * Lists the stores of one kind (recordings, or blueprints) in an .rrd recording (file or object), by recording id: the
 * partition ids registering the file into a dataset of that kind would create.
 */
@FunctionalInterface
interface RecordingProbe {
  /** Throws with a message naming the file and what is wrong when it is not a readable .rrd. */
  List<String> recordingIds(RecordingSource recording, StoreKind kind) throws IOException;
}
