package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * A segment's mutable properties, as Rerun's SetSegmentProperties writes them: one row of
 * {@code property:<key>:<component>} columns, kept as the Arrow IPC stream the client sent (the
 * catalog never reads it), and the revision the last write made. They live outside the segment's
 * layers: a segment id needs no registered segment, and unregistering one keeps its properties.
 * The asset dataset keeps here which segments each asset applies to.
 *
 * @param revision never 0 (Rerun's "no properties yet")
 */
public record SegmentProperties(String segmentId, byte[] batch, long revision) {
  public SegmentProperties {
    requireNonNull(segmentId, "segmentId is null");
    requireNonNull(batch, "batch is null");
    if (revision == 0) {
      throw new IllegalArgumentException("revision 0 means no properties");
    }
    batch = batch.clone();
  }

  @Override
  public byte[] batch() {
    return batch.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SegmentProperties p && p.segmentId.equals(segmentId) && Arrays.equals(p.batch, batch) && p.revision == revision;
  }

  @Override
  public int hashCode() {
    return 31 * segmentId.hashCode() + Long.hashCode(revision);
  }

  @Override
  public String toString() {
    return "SegmentProperties[" + segmentId + ", " + batch.length + " bytes, revision " + Long.toUnsignedString(revision) + "]";
  }
}
