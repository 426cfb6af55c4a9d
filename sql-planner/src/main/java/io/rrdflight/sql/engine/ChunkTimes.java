package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * What one temporal chunk adds to a view's row set, learnt when it is decoded: per timeline and
 * component, the distinct index values of the component's non-null cells ({@link TimeSet}), and
 * which components have a cell at all. A view's rows are the distinct index values at which some
 * column has a cell (query-semantics.md §3), so a scan that does not need a column's cells answers
 * that column's share of the rows from this, without decoding the chunk again
 * ({@link ChunkTimesCache}).
 *
 * <p>Exactly what {@link PartitionView}'s row set reads from a decoded chunk: a row counts when its
 * component's list is not null, at the raw value of each timeline vector the chunk has.
 */
final class ChunkTimes {
  /** The version of {@link #toBytes}'s layout: another one is not read (learnt again instead). */
  private static final int FORMAT = 1;
  /**
   * Per thread, the two arrays {@link #of} works in (a timeline's values, the values of cells), kept
   * when at most this many long (512 KiB each): the background row counts learn every chunk of every
   * new recording, and two new arrays of a chunk's rows per chunk are garbage (~1.2 GB over 16
   * recordings of 4.5 M rows) that a 256 MiB heap collects often. A larger chunk gets arrays of its
   * own, dropped after.
   */
  static final int KEPT_SCRATCH_ROWS = 1 << 16;
  private static final ThreadLocal<long[][]> SCRATCH = ThreadLocal.withInitial(() -> new long[][] {new long[0], new long[0]});
  private final String entityPath;
  private final Set<String> components;
  /** timeline name → component → its cells' index values. */
  private final Map<String, Map<String, TimeSet>> byTimeline;

  private ChunkTimes(String entityPath, Set<String> components, Map<String, Map<String, TimeSet>> byTimeline) {
    this.entityPath = requireNonNull(entityPath, "entityPath is null");
    this.components = Set.copyOf(components);
    this.byTimeline = byTimeline;
  }

  /**
   * Reads a decoded temporal chunk's timelines and the validity of its components. Components
   * without a null cell (most) share one set per timeline, the values of every row, worked out once.
   */
  static ChunkTimes of(ChunkData chunk) {
    requireNonNull(chunk, "chunk is null");
    int rows = chunk.rowCount();
    Map<String, ListVector> lists = new HashMap<>();
    for (String component : chunk.componentNames()) {
      ListVector values = chunk.component(component);
      if (values != null && values.getNullCount() < rows) {
        lists.put(component, values);
      }
    }
    Map<String, Map<String, TimeSet>> byTimeline = new HashMap<>();
    long[] timesScratch = scratch(0, rows);
    long[] scratch = scratch(1, rows);
    for (String timeline : chunk.timelines().keySet()) {
      long[] times = chunk.timesInto(timeline, timesScratch); // read only: it may be the chunk's kept copy
      Map<String, TimeSet> sets = new HashMap<>();
      TimeSet everyRow = null;
      for (Map.Entry<String, ListVector> list : lists.entrySet()) {
        ListVector values = list.getValue();
        if (values.getNullCount() == 0) {
          if (everyRow == null) {
            everyRow = timeSet(times, null, rows, scratch);
          }
          sets.put(list.getKey(), everyRow);
        } else {
          sets.put(list.getKey(), timeSet(times, values, rows, scratch));
        }
      }
      byTimeline.put(timeline, sets);
    }
    return new ChunkTimes(chunk.entityPath(), lists.keySet(), byTimeline);
  }

  /** This thread's scratch array {@code slot} with room for {@code rows} values (see {@link #KEPT_SCRATCH_ROWS}). */
  private static long[] scratch(int slot, int rows) {
    long[][] kept = SCRATCH.get();
    if (kept[slot].length >= rows) {
      return kept[slot];
    }
    long[] array = new long[rows];
    if (rows <= KEPT_SCRATCH_ROWS) {
      kept[slot] = array;
    }
    return array;
  }

  /** The distinct values of {@code times} at the rows where {@code cells} is not null (every row when null). */
  private static TimeSet timeSet(long[] times, ListVector cells, int rows, long[] scratch) {
    if (cells == null && ascending(times, rows)) {
      return TimeSet.of(times, rows); // the usual chunk: its rows' values are the set, no copy needed
    }
    int n = 0;
    boolean sorted = true;
    for (int r = 0; r < rows; r++) {
      if (cells == null || !cells.isNull(r)) {
        long t = times[r];
        sorted &= n == 0 || scratch[n - 1] < t;
        scratch[n++] = t;
      }
    }
    if (!sorted) {
      Arrays.sort(scratch, 0, n);
      n = distinct(scratch, n);
    }
    return TimeSet.of(scratch, n);
  }

  /** Whether {@code values[0, n)} are strictly ascending (sorted and distinct). */
  private static boolean ascending(long[] values, int n) {
    for (int i = 1; i < n; i++) {
      if (values[i - 1] >= values[i]) {
        return false;
      }
    }
    return true;
  }

  /** Drops repeats from sorted {@code values[0, n)}; returns the new count. */
  private static int distinct(long[] values, int n) {
    int out = 0;
    for (int i = 0; i < n; i++) {
      if (out == 0 || values[out - 1] != values[i]) {
        values[out++] = values[i];
      }
    }
    return out;
  }

  /** What {@link #fromBytes} reads back: kept in the catalog so that a restarted server knows them too. */
  byte[] toBytes() {
    var bytes = new java.io.ByteArrayOutputStream(64 + 32 * ranges());
    try (var out = new java.io.DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeUTF(entityPath);
      List<String> order = List.copyOf(components);
      out.writeInt(order.size());
      for (String c : order) {
        out.writeUTF(c);
      }
      out.writeInt(byTimeline.size());
      for (Map.Entry<String, Map<String, TimeSet>> t : byTimeline.entrySet()) {
        out.writeUTF(t.getKey());
        for (String c : order) { // every timeline has a set per component with cells (see of)
          t.getValue().getOrDefault(c, TimeSet.EMPTY).writeTo(out);
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /** Reads {@link #toBytes}; IllegalArgumentException naming what is wrong when the bytes are not such times. */
  static ChunkTimes fromBytes(byte[] bytes, int maxRanges) {
    try (var in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
      int format = in.readUnsignedByte();
      if (format != FORMAT) {
        throw new java.io.IOException("format " + format + ", expected " + FORMAT);
      }
      String entityPath = in.readUTF();
      int count = in.readInt();
      if (count < 0 || count > bytes.length) {
        throw new java.io.IOException(count + " components");
      }
      List<String> order = new java.util.ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        order.add(in.readUTF());
      }
      int timelines = in.readInt();
      if (timelines < 0 || timelines > bytes.length) {
        throw new java.io.IOException(timelines + " timelines");
      }
      Map<String, Map<String, TimeSet>> byTimeline = new HashMap<>();
      for (int t = 0; t < timelines; t++) {
        String timeline = in.readUTF();
        Map<String, TimeSet> sets = new HashMap<>();
        for (String c : order) {
          sets.put(c, TimeSet.readFrom(in, maxRanges));
        }
        byTimeline.put(timeline, sets);
      }
      if (in.available() > 0) {
        throw new java.io.IOException(in.available() + " bytes after the end");
      }
      return new ChunkTimes(entityPath, new java.util.HashSet<>(order), byTimeline);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("unreadable chunk times: " + e.getMessage(), e);
    }
  }

  String entityPath() {
    return entityPath;
  }

  /** Whether the chunk has a non-null cell of {@code component}. */
  boolean has(String component) {
    return components.contains(component);
  }

  /** Per component with cells, their values on {@code timeline}; empty when the chunk is not on it. */
  Map<String, TimeSet> on(String timeline) {
    return byTimeline.getOrDefault(timeline, Map.of());
  }

  /** How many ranges all its sets hold: a chunk of scattered values is not worth keeping. */
  int ranges() {
    int n = 0;
    for (Map<String, TimeSet> sets : byTimeline.values()) {
      for (TimeSet s : sets.values()) {
        n += s.ranges();
      }
    }
    return n;
  }

  long heapBytes() {
    long bytes = 96 + 64L * components.size();
    for (Map<String, TimeSet> sets : byTimeline.values()) {
      bytes += 64;
      for (TimeSet s : sets.values()) {
        bytes += 32 + s.heapBytes();
      }
    }
    return bytes;
  }
}
