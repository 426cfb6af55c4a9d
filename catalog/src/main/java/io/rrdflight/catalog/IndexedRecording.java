package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

/**
 * One recording (or blueprint) store found in a file: its id (the partition id), chunk and row
 * counts, its size as Rerun counts it ({@link PartitionSizeBytes}), its chunk index serialised by
 * the rrd module (stored as is, so queries never re-read the whole file) and its columns.
 */
public record IndexedRecording(String recordingId, String applicationId, long chunkCount, long rowCount, long sizeBytes,
    byte[] chunkIndex, DatasetSchema schema) {
  public IndexedRecording {
    requireNonNull(recordingId, "recordingId is null");
    requireNonNull(applicationId, "applicationId is null");
    requireNonNull(chunkIndex, "chunkIndex is null");
    requireNonNull(schema, "schema is null");
  }
}
