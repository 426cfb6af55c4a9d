package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Instant;
import java.util.Optional;

/**
 * One recording in a dataset, in one layer. Its id is the recording id from the {@code .rrd} file.
 * {@code file} records the size and modification time seen at registration, so a file that changed
 * or vanished since is noticed before its data is served.
 *
 * @param sizeBytes the recording's in-memory size as Rerun counts it ({@link PartitionSizeBytes}),
 *     worked out at registration; not the file's size
 * @param compacted where its chunks are read from when the file had many small ones
 *     ({@link Compactions}); a different value is a different partition to readers, so a reader
 *     that took the chunk index of one value reads the chunks of the same file
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
    String applicationId,
    Optional<CompactedCopy> compacted) {

  public static final String DEFAULT_LAYER = "base";

  /** A partition read from its own file. */
  public Partition(EntryId datasetId, String partitionId, String layer, URI storageUrl, FileStamp file, long chunkCount,
      long rowCount, long sizeBytes, Instant registeredAt, String applicationId) {
    this(datasetId, partitionId, layer, storageUrl, file, chunkCount, rowCount, sizeBytes, registeredAt, applicationId, Optional.empty());
  }

  public Partition {
    requireNonNull(datasetId, "datasetId is null");
    requireNonNull(partitionId, "partitionId is null");
    requireNonNull(layer, "layer is null");
    requireNonNull(storageUrl, "storageUrl is null");
    requireNonNull(file, "file is null");
    requireNonNull(registeredAt, "registeredAt is null");
    requireNonNull(applicationId, "applicationId is null");
    requireNonNull(compacted, "compacted is null");
  }

  /** The same partition read from {@code copy} (or, with empty, from its own file). */
  public Partition withCompacted(Optional<CompactedCopy> copy) {
    return new Partition(datasetId, partitionId, layer, storageUrl, file, chunkCount, rowCount, sizeBytes, registeredAt, applicationId, copy);
  }

  /** The chunks queries are served: the compacted copy's when it reads one, else its file's ({@link #chunkCount}). */
  public long servedChunkCount() {
    return compacted.map(CompactedCopy::chunkCount).orElse(chunkCount);
  }

  /** The store this partition reads from its file: the recording with this id and application. */
  public io.rrdflight.rrd.StoreId storeId() {
    return new io.rrdflight.rrd.StoreId(io.rrdflight.rrd.StoreKind.RECORDING, applicationId, partitionId);
  }
}
