package io.rrdflight.server.redap;

import com.google.protobuf.Timestamp;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.rrd.proto.Tuid;
import java.time.Instant;

/** Conversions between catalog values and their protobuf forms. */
final class ProtoValues {
  private ProtoValues() {}

  /** Both TUID halves are always written: Rerun's clients reject a TUID with a field missing. */
  static io.rrdflight.rrd.proto.EntryId toProto(EntryId id) {
    return io.rrdflight.rrd.proto.EntryId.newBuilder()
        .setId(Tuid.newBuilder().setTimeNs(id.timeNs()).setInc(id.inc()))
        .build();
  }

  /** Missing halves read as zero, as an all-zero id is a legal (if unlikely) id. */
  static EntryId fromProto(io.rrdflight.rrd.proto.EntryId id) {
    return new EntryId(id.getId().getTimeNs(), id.getId().getInc());
  }

  static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
  }

  /** Nanoseconds since the epoch, the unit of every Arrow timestamp column Rerun's clients read. */
  static long epochNanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }
}
