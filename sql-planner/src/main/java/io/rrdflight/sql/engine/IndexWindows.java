package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.Timeline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Cuts a view's range on its index into consecutive windows whose chunks, decoded, fit a memory
 * budget, from the chunk index alone. A window's rows depend only on the data at its own index
 * values, static data and, with latest-at fill, the latest values before it, so computing the
 * windows one after the other gives exactly the rows of the whole range (see PartitionSweep).
 *
 * <p>A window holds every chunk that overlaps it, including chunks that started in an earlier
 * window; a window always takes the chunks starting at its first value, so a single chunk (or a
 * set starting at the same value) larger than the budget still makes progress, over budget.
 */
final class IndexWindows {
  /**
   * Decoded Arrow per byte on disk: measured 1.2–1.6 for points and scalars and 2.2 for text
   * logs (LZ4 on incompressible sensor data gains little); 2 errs on the safe side.
   */
  static final long DECODED_PER_STORED_BYTE = 2;
  /** What joining costs on the heap per cell: index value, cell ref and kind (CellEntries), its distinct value and the row's slot. */
  static final long JOIN_BYTES_PER_CELL = 48;

  private IndexWindows() {}

  /** Memory a chunk takes while its window is computed and read: its decoded vectors and join entries. */
  static long estimatedBytes(IndexedChunk chunk) {
    return chunk.length() * DECODED_PER_STORED_BYTE + chunk.rowCount() * Math.max(1, chunk.components().size()) * JOIN_BYTES_PER_CELL;
  }

  private record Span(long from, long to, long bytes) {}

  /**
   * Windows covering {@code range} on {@code timeline}, in order, such that the chunks of
   * {@code chunks} overlapping each window are estimated to take at most {@code budgetBytes}
   * (except a window of chunks that all start at one value). Chunks without the timeline, or
   * outside the range, do not count: static chunks and latest-at chunks before a window are few
   * and small next to the window's own.
   */
  static List<IndexRange> plan(List<IndexedChunk> chunks, Timeline timeline, IndexRange range, long budgetBytes) {
    requireNonNull(timeline, "timeline is null");
    requireNonNull(range, "range is null");
    if (budgetBytes <= 0) {
      throw new IllegalArgumentException("budgetBytes must be positive: " + budgetBytes);
    }
    List<Span> spans = new ArrayList<>();
    for (IndexedChunk c : chunks) {
      IndexRange own = c.isStatic() ? null : c.timeRanges().get(timeline);
      if (own != null) {
        own.intersection(range).ifPresent(r -> spans.add(new Span(r.min(), r.max(), estimatedBytes(c))));
      }
    }
    if (spans.isEmpty()) {
      return List.of(range);
    }
    spans.sort(Comparator.comparingLong(Span::from));
    List<IndexRange> windows = new ArrayList<>();
    List<Span> open = new ArrayList<>(); // taken spans that may reach into the next window
    long lo = range.min();
    int next = 0;
    while (next < spans.size()) {
      long from = lo;
      open.removeIf(s -> s.to() < from);
      long bytes = open.stream().mapToLong(Span::bytes).sum();
      boolean tookAny = false;
      while (next < spans.size()) {
        long start = spans.get(next).from();
        int end = next;
        long groupBytes = 0;
        while (end < spans.size() && spans.get(end).from() == start) {
          groupBytes += spans.get(end++).bytes();
        }
        if (tookAny && bytes + groupBytes > budgetBytes) {
          break;
        }
        bytes += groupBytes;
        open.addAll(spans.subList(next, end));
        next = end;
        tookAny = true;
      }
      long hi = next < spans.size() ? spans.get(next).from() - 1 : range.max();
      windows.add(new IndexRange(lo, hi));
      lo = hi + 1;
    }
    return windows;
  }
}
