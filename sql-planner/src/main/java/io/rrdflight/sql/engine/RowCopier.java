package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.util.TransferPair;
import org.apache.arrow.vector.util.VectorAppender;

/**
 * Fills one column with rows of columns of the same type: the one way rows are copied, by the
 * engine (component cells into a batch) and by the SQL operators (rows a sort, filter or limit
 * keeps). Types {@link CellCopier} covers — everything Rerun's components are made of but unions
 * — are copied by buffers in bulk; the others as slices of their sources appended one after the
 * other, which Arrow's appender does for every type. (Arrow's per-row {@code copyFromSafe} has no
 * writer for fixed-size lists, and Rerun's positions are {@code List<FixedSizeList<3, Float32>>}.)
 *
 * <p>Append runs of rows, then {@link #write}: the target then holds exactly those rows. Runs of
 * consecutive rows of one source are merged, so appending row by row costs little.
 */
public final class RowCopier {
  /** A run of rows of a column whose type is copied by slices; {@code source == null}: nulls or empty lists. */
  private record Slice(FieldVector source, int from, int count, boolean empty, boolean repeated) {}

  private final FieldVector target;
  /** The bulk copier, or null when the target's type is copied by slices. */
  private final CellCopier bulk;
  private final List<Slice> slices = new ArrayList<>();
  private int rows;

  /** @param expectedRows how many rows will be appended (sizes the bookkeeping) */
  public RowCopier(FieldVector target, int expectedRows) {
    this(target, expectedRows, CellCopier.supports(target.getField()));
  }

  /**
   * @param bulk whether {@link CellCopier#supports} the target's type, when the caller knows it (a
   *     batch writer asks once per column, not once per batch: a list vector's field is rebuilt from
   *     its children's on every ask)
   */
  RowCopier(FieldVector target, int expectedRows, boolean bulk) {
    this.target = requireNonNull(target, "target is null");
    this.bulk = bulk ? new CellCopier(target, expectedRows) : null;
  }

  /** Copies rows {@code rows[0..count)} of {@code source} into {@code target} (same type), replacing its contents. */
  public static void copyRows(FieldVector source, int[] rows, int count, FieldVector target) {
    RowCopier copier = new RowCopier(target, count);
    for (int i = 0; i < count; i++) {
      copier.rows(source, rows[i], 1);
    }
    copier.write();
  }

  /** Appends rows {@code [first, first + n)} of {@code source}, a column of the target's type. */
  public void rows(FieldVector source, int first, int n) {
    requireNonNull(source, "source is null");
    if (bulk != null) {
      bulk.rows(source, first, n);
      return;
    }
    Slice last = slices.isEmpty() ? null : slices.get(slices.size() - 1);
    if (last != null && last.source() == source && !last.repeated() && last.from() + last.count() == first) {
      slices.set(slices.size() - 1, new Slice(source, last.from(), last.count() + n, false, false));
    } else {
      slices.add(new Slice(source, first, n, false, false));
    }
    rows += n;
  }

  /** Appends row {@code row} of {@code source} {@code n} times (latest-at fill, static data). */
  void repeat(FieldVector source, int row, int n) {
    requireNonNull(source, "source is null");
    if (bulk != null) {
      bulk.repeat(source, row, n);
    } else {
      slices.add(new Slice(source, row, n, false, true));
      rows += n;
    }
  }

  /** Appends rows {@code [first, first + n)} of {@code source}, each {@code each} times before the next (latest-at fill of sparse data). */
  void repeatEach(FieldVector source, int first, int n, int each) {
    requireNonNull(source, "source is null");
    if (bulk != null) {
      bulk.repeatEach(source, first, n, each);
    } else {
      for (int k = 0; k < n; k++) {
        repeat(source, first + k, each);
      }
    }
  }

  /** Appends {@code n} null cells (list targets). */
  void nulls(int n) {
    appendEmpty(n, false);
  }

  /** Appends {@code n} empty lists (list targets). */
  void emptyLists(int n) {
    appendEmpty(n, true);
  }

  private void appendEmpty(int n, boolean empty) {
    if (bulk != null) {
      if (empty) {
        bulk.emptyLists(n);
      } else {
        bulk.nulls(n);
      }
      return;
    }
    if (!(target instanceof ListVector)) {
      throw new IllegalStateException("nulls and empty lists are appended to list columns only, not to " + target.getField());
    }
    slices.add(new Slice(null, 0, n, empty, false));
    rows += n;
  }

  /** Writes the appended rows into the target, which then holds exactly those rows. */
  public void write() {
    if (bulk != null) {
      bulk.write();
      return;
    }
    target.clear();
    target.allocateNew(); // the appender reads the target's first offset, so it must exist
    VectorAppender appender = new VectorAppender(target);
    try (FieldVector scratch = target.getField().createVector(target.getAllocator())) {
      for (Slice slice : slices) {
        if (slice.source() == null) {
          ListVector lists = (ListVector) scratch;
          lists.allocateNew();
          for (int k = 0; k < slice.count(); k++) {
            if (slice.empty()) {
              lists.startNewValue(k);
              lists.endValue(k, 0);
            } else {
              lists.setNull(k);
            }
          }
          lists.setValueCount(slice.count());
          append(scratch, appender);
        } else {
          TransferPair pair = slice.source().makeTransferPair(scratch);
          for (int k = 0; k < (slice.repeated() ? slice.count() : 1); k++) {
            pair.splitAndTransfer(slice.from(), slice.repeated() ? 1 : slice.count());
            append(scratch, appender);
          }
        }
      }
    }
    target.setValueCount(rows);
    slices.clear();
    rows = 0;
  }

  private static void append(FieldVector scratch, VectorAppender appender) {
    scratch.accept(appender, null);
    scratch.clear();
  }
}
