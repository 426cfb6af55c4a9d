package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.SegmentProperties;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.EncoderVersion;
import io.rrdflight.rrd.proto.Compression;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Rerun's Get/Set/DeleteSegmentProperties: a segment's mutable properties, a one-row batch the
 * client writes and reads back whole (0.41 keeps there which segments an asset applies to). The
 * catalog stores the batch's IPC stream as sent; this class checks it is one readable row, as
 * rerun server 0.41 requires (it takes any segment id and any column names).
 */
final class SegmentPropertyBatches {
  /**
   * The most bytes one segment's properties may take once decompressed: the catalog keeps them in
   * its store and answers them whole. Rerun sets no limit; 0.41's asset properties (which segments an
   * asset applies to) take well under 1 MiB even for 10,000 segment ids.
   */
  static final int MAX_BYTES = 16 << 20;
  /** The most bytes of properties one GetSegmentProperties answer carries (four segments at the limit). */
  static final long MAX_ANSWER_BYTES = 4L * MAX_BYTES;

  private final Catalog catalog;
  private final ArrowIpc ipc;

  SegmentPropertyBatches(Catalog catalog, ArrowIpc ipc) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.ipc = requireNonNull(ipc, "ipc is null");
  }

  /** Replaces the segment's properties; returns the new revision (see {@link Catalog#setSegmentProperties}). */
  long set(Dataset dataset, String segmentId, DataframePart properties, OptionalLong expectedRevision) {
    requireSegmentId(segmentId, "SetSegmentProperties");
    String what = "SetSegmentProperties of segment '" + segmentId + "'";
    // An LZ4 part states its size: refused before it is decompressed, not after.
    long size = decompressedSize(properties);
    if (size > MAX_BYTES) {
      throw tooLarge(what, size);
    }
    byte[] batch = ArrowIpc.payload(properties, what);
    if (batch.length > MAX_BYTES) {
      throw tooLarge(what, batch.length);
    }
    // One batch of one row: clients read the first batch only, so a second one would be stored unseen.
    List<Integer> rowsPerBatch = new ArrayList<>();
    ArrowIpc.requireEncoderVersion(properties, what);
    ipc.readStream(batch, what, root -> rowsPerBatch.add(root.getRowCount())); // the bytes decompressed above, not again
    if (!rowsPerBatch.equals(List.of(1))) {
      int rows = rowsPerBatch.stream().mapToInt(Integer::intValue).sum();
      throw CatalogStatus.invalidArgument(what + ": properties are one batch of one row, got " + rows + " rows in "
          + rowsPerBatch.size() + " batches");
    }
    return catalog.setSegmentProperties(dataset.id(), segmentId, batch, expectedRevision);
  }

  /** The segment's properties as a part in the client's encoding, with their revision; empty when it has none. */
  Optional<Stored> get(Dataset dataset, String segmentId, Vocabulary words) {
    requireSegmentId(segmentId, "GetSegmentProperties");
    return catalog.segmentProperties(dataset.id(), segmentId).map(p -> new Stored(p.segmentId(), part(p, words), p.revision()));
  }

  /** Drops the segments' properties, each with its expected revision if any: all or none (see {@link Catalog#deleteSegmentProperties}). */
  void delete(Dataset dataset, Map<String, OptionalLong> expectedRevisions) {
    expectedRevisions.keySet().forEach(segmentId -> requireSegmentId(segmentId, "DeleteSegmentProperties"));
    catalog.deleteSegmentProperties(dataset.id(), expectedRevisions);
  }

  private static io.grpc.StatusRuntimeException tooLarge(String what, long bytes) {
    return CatalogStatus.invalidArgument(what + ": properties of " + bytes + " bytes are more than the " + MAX_BYTES
        + " a segment's properties may take");
  }

  /** One segment's properties as answered. */
  record Stored(String segmentId, DataframePart properties, long revision) {
    Stored {
      requireNonNull(segmentId, "segmentId is null");
      requireNonNull(properties, "properties is null");
    }

    /** The properties' bytes decompressed: what the stored batch takes, however it is sent. */
    long size() {
      return decompressedSize(properties);
    }
  }

  /** What an LZ4 part says it decompresses to; an uncompressed one's own size. */
  private static long decompressedSize(DataframePart part) {
    return part.getCompression() == Compression.COMPRESSION_LZ4 ? part.getUncompressedSize() : part.getPayload().size();
  }

  private static DataframePart part(SegmentProperties p, Vocabulary words) {
    DataframePart part = DataframePart.newBuilder()
        .setEncoderVersion(EncoderVersion.ENCODER_VERSION_V0)
        .setPayload(ByteString.copyFrom(p.batch()))
        .build();
    return words.compressParts() ? ArrowIpc.compressed(part) : part;
  }

  private static void requireSegmentId(String segmentId, String call) {
    if (segmentId.isEmpty()) {
      throw CatalogStatus.invalidArgument(call + ": segment_id is required");
    }
  }
}
