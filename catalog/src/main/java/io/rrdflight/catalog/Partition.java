package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Instant;

/**
 * One recording in a dataset, in one layer. Its id is the recording id from the {@code .rrd} file.
 * {@code file} records the size and modification time seen at registration, so a file that changed
 * or vanished since is noticed before its data is served.
 *
 * @param sizeBytes the recording's in-memory size as Rerun counts it ({@link PartitionSizeBytes}),
 *     worked out at registration; not the file's size
 */
public record Partition(
    EntryId datasetId,
    String partitionId,
    String layer,
    URI storageUrl,
    FileStamp file,
    long chunkCount,
    long rowCount,
    long sizeBytes,
    Instant registeredAt,
    String applicationId) {

  public static final String DEFAULT_LAYER = "base";

  public Partition {
    requireNonNull(datasetId, "datasetId is null");
    requireNonNull(partitionId, "partitionId is null");
    requireNonNull(layer, "layer is null");
    requireNonNull(storageUrl, "storageUrl is null");
    requireNonNull(file, "file is null");
    requireNonNull(registeredAt, "registeredAt is null");
    requireNonNull(applicationId, "applicationId is null");
  }

  /** The store this partition reads from its file: the recording with this id and application. */
  public io.rrdflight.rrd.StoreId storeId() {
    return new io.rrdflight.rrd.StoreId(io.rrdflight.rrd.StoreKind.RECORDING, applicationId, partitionId);
  }
}
