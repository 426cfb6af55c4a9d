package io.rrdflight.server.redap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Lists the recordings (not blueprints) stored in an .rrd file, by recording id. */
@FunctionalInterface
interface RecordingProbe {
  /** Throws with a message naming the file and what is wrong when it is not a readable .rrd. */
  List<String> recordingIds(Path file) throws IOException;
}
