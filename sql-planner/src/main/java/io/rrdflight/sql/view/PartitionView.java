package io.rrdflight.sql.view;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Partition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * A {@link QueryView}'s rows for one partition, computed the way Rerun's dataframe engine does
 * (re_dataframe {@code QueryHandle}, 0.27.3; see shared/docs/query-semantics.md §§3–4):
 * <ul>
 *   <li>rows are the distinct index values, within the range, at which some temporal column of the
 *       view (or a clear that applies to its entity) has a cell;
 *   <li>at each row, each column takes the cell with the largest RowId at exactly that value; a
 *       clear gives an empty list; static data wins over everything;
 *   <li>with latest-at fill, a cell still null takes the latest value at or before the row's value
 *       in the whole recording (looking before the range), unless a later clear shadows it;
 *   <li>the other index columns show the largest value of that timeline among the row's cells.
 * </ul>
 * Only the chunks that can contribute are decoded: the chunk index names them. The result refers
 * to cells of those chunks ({@link #cell}); it owns them until closed.
 */
final class PartitionView implements AutoCloseable {
  static final long NULL_CELL = -1L;
  static final long EMPTY_CELL = -2L;
  /** Rerun's static sentinel, never a temporal value: marks a null index cell. */
  static final long NO_VALUE = Long.MIN_VALUE;

  private final Partition partition;
  private final List<ChunkData> chunks;
  private final long[] rows;
  private final long[][] cells;
  private final long[][] indexValues;

  private PartitionView(Partition partition, List<ChunkData> chunks, long[] rows, long[][] cells, long[][] indexValues) {
    this.partition = partition;
    this.chunks = chunks;
    this.rows = rows;
    this.cells = cells;
    this.indexValues = indexValues;
  }

  Partition partition() {
    return partition;
  }

  int rowCount() {
    return rows.length;
  }

  /** Component column {@code column}'s cell at {@code row}: a chunk cell ref, NULL_CELL or EMPTY_CELL. */
  long cell(int column, int row) {
    return cells[column][row];
  }

  /** Index column {@code index}'s value at {@code row}, or NO_VALUE for null. */
  long indexValue(int index, int row) {
    return indexValues[index][row];
  }

  ChunkData chunk(long cellRef) {
    return chunks.get((int) (cellRef >>> 32));
  }

  static int rowOf(long cellRef) {
    return (int) cellRef;
  }

  @Override
  public void close() {
    RuntimeException failure = null;
    for (ChunkData c : chunks) {
      try {
        c.close();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  // --- computing ------------------------------------------------------------------------------

  static PartitionView compute(ViewSchema schema, Partition partition, RerunData data, BufferAllocator allocator) {
    requireNonNull(schema, "schema is null");
    Loader loader = new Loader(partition, data, allocator);
    try {
      return new Computation(schema, partition, data.chunks(partition), loader).run();
    } catch (RuntimeException e) {
      loader.closeAll();
      throw e;
    }
  }

  /** Decodes each needed chunk once and numbers it for cell refs. */
  private static final class Loader {
    final Partition partition;
    final RerunData data;
    final BufferAllocator allocator;
    final List<ChunkData> loaded = new ArrayList<>();
    final Map<String, Integer> byId = new HashMap<>();

    Loader(Partition partition, RerunData data, BufferAllocator allocator) {
      this.partition = partition;
      this.data = data;
      this.allocator = allocator;
    }

    int load(ChunkInfo info) {
      Integer known = byId.get(info.id());
      if (known != null) {
        return known;
      }
      loaded.add(data.read(partition, info, allocator));
      byId.put(info.id(), loaded.size() - 1);
      return loaded.size() - 1;
    }

    void closeAll() {
      loaded.forEach(ChunkData::close);
    }
  }

  /** Clear rows of one entity path, sorted; recursive-ness kept for latest-at shadowing. */
  private static final class Clears {
    final CellEntries entries = new CellEntries();
    boolean[] recursive = new boolean[0];
  }

  private static final class Computation {
    final ViewSchema schema;
    final Partition partition;
    final List<ChunkInfo> infos;
    final Loader loader;
    final Optional<String> index;
    final IndexRange range;
    final boolean fill;
    final Map<String, Clears> clearsByPath = new HashMap<>();

    Computation(ViewSchema schema, Partition partition, List<ChunkInfo> infos, Loader loader) {
      this.schema = schema;
      this.partition = partition;
      this.infos = infos;
      this.loader = loader;
      this.index = schema.view().index();
      this.range = schema.view().range();
      this.fill = schema.view().fillLatestAt();
    }

    PartitionView run() {
      List<ComponentColumn> columns = schema.components();
      int n = columns.size();
      long[] staticCell = new long[n];
      for (int c = 0; c < n; c++) {
        staticCell[c] = staticCell(columns.get(c));
      }
      if (index.isEmpty()) {
        return staticOnly(staticCell);
      }
      String timeline = index.get();

      // 1. Cells per column: data (unless static) and the clears that apply to its entity.
      CellEntries[] data = new CellEntries[n];
      CellEntries[] joined = new CellEntries[n];
      for (int c = 0; c < n; c++) {
        ComponentColumn column = columns.get(c);
        data[c] = staticCell[c] == NULL_CELL ? dataCells(column, timeline) : new CellEntries();
        joined[c] = withJoinClears(data[c], column.entityPath(), timeline);
      }

      // 2. Rows: distinct index values in range over all columns' cells.
      long[] rows = distinctTimesInRange(joined);

      // 3. Cells per row.
      long[][] cells = new long[n][rows.length];
      long[][] sources = new long[n][]; // the cell whose chunk row gives the other index values
      for (int c = 0; c < n; c++) {
        long[] out = cells[c];
        long[] src = new long[rows.length];
        sources[c] = src;
        CellEntries joinedCells = joined[c];
        int cursor = joinedCells.firstAtOrAfter(rows.length == 0 ? 0 : rows[0]);
        for (int r = 0; r < rows.length; r++) {
          long t = rows[r];
          int winner = -1;
          while (cursor < joinedCells.size() && joinedCells.time(cursor) <= t) {
            if (joinedCells.time(cursor) == t) {
              winner = cursor; // sorted by RowId within t: the last one wins
            }
            cursor++;
          }
          if (staticCell[c] != NULL_CELL) {
            out[r] = staticCell[c]; // static wins, whatever else is at t
            src[r] = NULL_CELL;
          } else if (winner >= 0) {
            out[r] = joinedCells.kind(winner) == CellEntries.CLEAR ? EMPTY_CELL : joinedCells.ref(winner);
            src[r] = joinedCells.ref(winner);
          } else if (fill) {
            long filled = latestAt(data[c], columns.get(c).entityPath(), timeline, t);
            out[r] = filled;
            src[r] = filled;
          } else {
            out[r] = NULL_CELL;
            src[r] = NULL_CELL;
          }
        }
      }

      // 4. Index columns: the row's value for the view's index, the largest among its cells for the others.
      List<IndexColumn> indexes = schema.indexes();
      long[][] indexValues = new long[indexes.size()][];
      for (int i = 0; i < indexes.size(); i++) {
        String name = indexes.get(i).name();
        if (name.equals(timeline)) {
          indexValues[i] = rows;
          continue;
        }
        long[] values = new long[rows.length];
        java.util.Arrays.fill(values, NO_VALUE);
        for (int c = 0; c < n; c++) {
          long[] src = sources[c];
          for (int r = 0; r < rows.length; r++) {
            if (src[r] >= 0) {
              BaseFixedWidthVector tv = loader.loaded.get((int) (src[r] >>> 32)).timeline(name);
              if (tv != null) {
                values[r] = Math.max(values[r], ChunkData.value(tv, rowOf(src[r])));
              }
            }
          }
        }
        indexValues[i] = values;
      }
      return new PartitionView(partition, loader.loaded, rows, cells, indexValues);
    }

    private PartitionView staticOnly(long[] staticCell) {
      long[][] cells = new long[staticCell.length][];
      for (int c = 0; c < staticCell.length; c++) {
        cells[c] = new long[] {staticCell[c]};
      }
      long[][] indexValues = new long[schema.indexes().size()][];
      for (int i = 0; i < indexValues.length; i++) {
        indexValues[i] = new long[] {NO_VALUE};
      }
      return new PartitionView(partition, loader.loaded, new long[] {NO_VALUE}, cells, indexValues);
    }

    /** The winning static cell (largest RowId among non-null static cells), or NULL_CELL. */
    private long staticCell(ComponentColumn column) {
      long best = NULL_CELL;
      long bestHi = 0;
      long bestLo = 0;
      for (ChunkInfo info : infos) {
        if (!info.isStatic() || !info.entityPath().equals(column.entityPath()) || !info.components().contains(column.component())) {
          continue;
        }
        int idx = loader.load(info);
        ChunkData chunk = loader.loaded.get(idx);
        ListVector values = chunk.component(column.component());
        for (int r = 0; r < chunk.rowCount(); r++) {
          if (values.isNull(r)) {
            continue;
          }
          if (best == NULL_CELL || rowIdAfter(chunk.rowIdHigh(r), chunk.rowIdLow(r), bestHi, bestLo)) {
            best = ((long) idx << 32) | r;
            bestHi = chunk.rowIdHigh(r);
            bestLo = chunk.rowIdLow(r);
          }
        }
      }
      return best;
    }

    /** A chunk on {@code timeline} that can contribute: in range, or (with fill) anywhere before its end. */
    private boolean relevant(ChunkInfo info, String timeline) {
      IndexRange r = info.timelines().get(timeline);
      if (r == null) {
        return false;
      }
      return fill ? r.min() <= range.max() : range.intersects(r.min(), r.max());
    }

    private CellEntries dataCells(ComponentColumn column, String timeline) {
      CellEntries entries = new CellEntries();
      for (ChunkInfo info : infos) {
        if (info.isStatic() || !info.entityPath().equals(column.entityPath()) || !info.components().contains(column.component())
            || !relevant(info, timeline)) {
          continue;
        }
        int idx = loader.load(info);
        ChunkData chunk = loader.loaded.get(idx);
        BaseFixedWidthVector times = chunk.timeline(timeline);
        ListVector values = chunk.component(column.component());
        for (int r = 0; r < chunk.rowCount(); r++) {
          if (!values.isNull(r)) {
            entries.add(ChunkData.value(times, r), chunk.rowIdHigh(r), chunk.rowIdLow(r), ((long) idx << 32) | r, CellEntries.DATA);
          }
        }
      }
      entries.sort();
      return entries;
    }

    /** The clear rows logged on {@code path} itself, with their recursive flag. */
    private Clears clears(String path, String timeline) {
      return clearsByPath.computeIfAbsent(path, p -> {
        Clears clears = new Clears();
        List<Boolean> flags = new ArrayList<>();
        Map<Long, Boolean> flagByRef = new LinkedHashMap<>();
        for (ChunkInfo info : infos) {
          if (info.isStatic() || !info.entityPath().equals(p) || !info.components().contains(ComponentColumn.CLEAR_IS_RECURSIVE)
              || !relevant(info, timeline)) {
            continue;
          }
          int idx = loader.load(info);
          ChunkData chunk = loader.loaded.get(idx);
          BaseFixedWidthVector times = chunk.timeline(timeline);
          ListVector values = chunk.component(ComponentColumn.CLEAR_IS_RECURSIVE);
          BitVector bits = (BitVector) values.getDataVector();
          for (int r = 0; r < chunk.rowCount(); r++) {
            if (values.isNull(r)) {
              continue;
            }
            int start = values.getOffsetBuffer().getInt((long) r * 4);
            int end = values.getOffsetBuffer().getInt((long) (r + 1) * 4);
            boolean recursive = end > start && !bits.isNull(start) && bits.get(start) == 1;
            long ref = ((long) idx << 32) | r;
            flagByRef.put(ref, recursive);
            clears.entries.add(ChunkData.value(times, r), chunk.rowIdHigh(r), chunk.rowIdLow(r), ref, CellEntries.CLEAR);
          }
        }
        clears.entries.sort();
        clears.recursive = new boolean[clears.entries.size()];
        for (int i = 0; i < clears.entries.size(); i++) {
          clears.recursive[i] = flagByRef.get(clears.entries.ref(i));
        }
        return clears;
      });
    }

    /** Data cells plus the clears that turn the entity's components into empty lists. */
    private CellEntries withJoinClears(CellEntries dataCells, String entityPath, String timeline) {
      List<String> ancestors = ancestors(entityPath);
      boolean anyClear = false;
      Clears own = clears(entityPath, timeline);
      anyClear |= own.entries.size() > 0;
      for (String a : ancestors) {
        anyClear |= clears(a, timeline).entries.size() > 0;
      }
      if (!anyClear) {
        return dataCells;
      }
      CellEntries all = new CellEntries();
      for (int i = 0; i < dataCells.size(); i++) {
        all.add(dataCells.time(i), dataCells.rowIdHigh(i), dataCells.rowIdLow(i), dataCells.ref(i), CellEntries.DATA);
      }
      for (int i = 0; i < own.entries.size(); i++) {
        all.add(own.entries.time(i), own.entries.rowIdHigh(i), own.entries.rowIdLow(i), own.entries.ref(i), CellEntries.CLEAR);
      }
      for (String a : ancestors) {
        Clears c = clears(a, timeline);
        for (int i = 0; i < c.entries.size(); i++) {
          if (c.recursive[i]) { // an ancestor's clear reaches its descendants only when recursive
            all.add(c.entries.time(i), c.entries.rowIdHigh(i), c.entries.rowIdLow(i), c.entries.ref(i), CellEntries.CLEAR);
          }
        }
      }
      all.sort();
      return all;
    }

    private long[] distinctTimesInRange(CellEntries[] columns) {
      java.util.TreeSet<Long> times = new java.util.TreeSet<>();
      long[] merged = new long[0];
      int size = 0;
      for (CellEntries column : columns) {
        for (int i = column.firstAtOrAfter(range.min()); i < column.size() && column.time(i) <= range.max(); i++) {
          if (size == merged.length) {
            merged = java.util.Arrays.copyOf(merged, Math.max(16, size * 2));
          }
          merged[size++] = column.time(i);
        }
      }
      long[] sorted = java.util.Arrays.copyOf(merged, size);
      java.util.Arrays.sort(sorted);
      int distinct = 0;
      for (int i = 0; i < sorted.length; i++) {
        if (i == 0 || sorted[i] != sorted[i - 1]) {
          sorted[distinct++] = sorted[i];
        }
      }
      times.clear();
      return java.util.Arrays.copyOf(sorted, distinct);
    }

    /**
     * Latest-at as Rerun's query cache answers it: the data cell with the greatest (index value,
     * RowId) at or before {@code t}, unless the latest clear at or before {@code t} on the entity
     * (any clear) or on an ancestor (if that ancestor's latest clear is recursive) is not older.
     */
    private long latestAt(CellEntries dataCells, String entityPath, String timeline, long t) {
      int found = dataCells.latestAtOrBefore(t);
      if (found < 0) {
        return NULL_CELL;
      }
      long shadowT = NO_VALUE;
      long shadowHi = 0;
      long shadowLo = 0;
      boolean shadowed = false;
      List<String> paths = new ArrayList<>();
      paths.add(entityPath);
      paths.addAll(ancestors(entityPath));
      for (String p : paths) {
        Clears c = clears(p, timeline);
        int latest = c.entries.latestAtOrBefore(t);
        if (latest < 0 || (!p.equals(entityPath) && !c.recursive[latest])) {
          continue;
        }
        if (!shadowed || c.entries.after(latest, shadowT, shadowHi, shadowLo)) {
          shadowed = true;
          shadowT = c.entries.time(latest);
          shadowHi = c.entries.rowIdHigh(latest);
          shadowLo = c.entries.rowIdLow(latest);
        }
      }
      if (shadowed && !dataCells.after(found, shadowT, shadowHi, shadowLo)) {
        return NULL_CELL;
      }
      return dataCells.ref(found);
    }
  }

  static boolean rowIdAfter(long hi, long lo, long otherHi, long otherLo) {
    int c = Long.compareUnsigned(hi, otherHi);
    return c != 0 ? c > 0 : Long.compareUnsigned(lo, otherLo) > 0;
  }

  /** {@code /a/b/c} → {@code /a/b}, {@code /a}, {@code /}: the entities whose recursive clears reach it. */
  static List<String> ancestors(String entityPath) {
    List<String> out = new ArrayList<>();
    String p = entityPath;
    while (!p.equals("/") && !p.isEmpty()) {
      int slash = p.lastIndexOf('/');
      p = slash <= 0 ? "/" : p.substring(0, slash);
      out.add(p);
    }
    return out;
  }
}
