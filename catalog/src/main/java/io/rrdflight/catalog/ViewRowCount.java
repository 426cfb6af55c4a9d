package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

/**
 * How many rows a whole view has in one partition as registered: the view on {@code timeline} with
 * {@code contents}, every index value, no fill. The SQL engine learns it by scanning the partition
 * and answers a {@code COUNT(*)} with no filter from it; the catalog keeps it with the partition's
 * file stamp ({@link Catalog#saveViewRowCount}), so it goes when the file is registered again.
 */
public record ViewRowCount(Partition partition, String timeline, String contents, long rows) {
  public ViewRowCount {
    requireNonNull(partition, "partition is null");
    requireNonNull(timeline, "timeline is null");
    requireNonNull(contents, "contents is null");
    if (rows < 0) {
      throw new IllegalArgumentException("rows must not be negative: " + rows);
    }
  }
}
