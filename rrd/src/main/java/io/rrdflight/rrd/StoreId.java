package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

/**
 * Names a store. Rerun identifies a store by all three parts; a dataset partition is named by the
 * recording id alone.
 *
 * @param applicationId empty only for chunks of legacy writers that could not be matched to a store
 */
public record StoreId(StoreKind kind, String applicationId, String recordingId) implements Comparable<StoreId> {
  public StoreId {
    requireNonNull(kind, "kind is null");
    requireNonNull(applicationId, "applicationId is null");
    requireNonNull(recordingId, "recordingId is null");
  }

  static StoreId fromProto(io.rrdflight.rrd.proto.StoreId id) {
    return new StoreId(StoreKind.fromProto(id.getKind()), id.getApplicationId().getId(), id.getRecordingId());
  }

  io.rrdflight.rrd.proto.StoreId toProto() {
    return io.rrdflight.rrd.proto.StoreId.newBuilder()
        .setKind(kind == StoreKind.BLUEPRINT ? io.rrdflight.rrd.proto.StoreKind.STORE_KIND_BLUEPRINT : io.rrdflight.rrd.proto.StoreKind.STORE_KIND_RECORDING)
        .setRecordingId(recordingId)
        .setApplicationId(io.rrdflight.rrd.proto.ApplicationId.newBuilder().setId(applicationId))
        .build();
  }

  @Override
  public int compareTo(StoreId other) {
    int c = kind.compareTo(other.kind);
    if (c == 0) {
      c = applicationId.compareTo(other.applicationId);
    }
    return c != 0 ? c : recordingId.compareTo(other.recordingId);
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + applicationId + "/" + recordingId;
  }
}
