package io.rrdflight.server.redap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Reads the recording ids of an .rrd file from its store messages, with the rrd module's reader. */
final class RrdRecordingProbe implements RecordingProbe {
  @Override
  public List<String> recordingIds(Path file) throws IOException {
    // Wired to rrd's reader once it is merged (issue "rrd/").
    throw new IOException("the .rrd reader is not built into this version yet");
  }
}
