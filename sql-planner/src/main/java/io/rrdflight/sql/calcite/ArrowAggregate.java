package io.rrdflight.sql.calcite;

import io.rrdflight.sql.calcite.RerunSqlTypes;
import io.rrdflight.sql.ResultBatches;
import io.rrdflight.sql.calcite.ArrowExpressions.Column;
import io.rrdflight.sql.calcite.ArrowExpressions.Kind;
import io.rrdflight.sql.calcite.ArrowExpressions.Values;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptCost;
import org.apache.calcite.plan.RelOptPlanner;
import org.apache.calcite.plan.RelTraitSet;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.metadata.RelMetadataQuery;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.util.ImmutableBitSet;

/**
 * GROUP BY on Arrow batches: a hash table from group key to accumulators, fed a batch at a time
 * (COUNT, SUM, SUM0, AVG, MIN and MAX over numbers, no DISTINCT or FILTER). Each new group is
 * charged to the query's memory budget.
 */
public final class ArrowAggregate extends Aggregate implements ArrowRel {
  /** Heap bytes one group costs at most: key object, map entry and one slot per accumulator. */
  private static final long GROUP_BYTES = 160;

  private final Schema schema;

  ArrowAggregate(RelOptCluster cluster, RelTraitSet traits, RelNode input, ImmutableBitSet groupSet, List<AggregateCall> aggCalls) {
    super(cluster, traits, List.of(), input, groupSet, null, aggCalls);
    List<Field> fields = new ArrayList<>();
    for (RelDataTypeField f : getRowType().getFieldList()) {
      fields.add(RerunSqlTypes.toField(f.getName(), f.getType()));
    }
    this.schema = new Schema(fields);
  }

  /** Whether the aggregate can run on batches of {@code input}. */
  static boolean supports(Aggregate agg) {
    org.apache.calcite.rel.type.RelDataType input = agg.getInput().getRowType();
    if (agg.getGroupType() != Group.SIMPLE) {
      return false;
    }
    for (int key : agg.getGroupSet()) {
      Optional<Kind> k = ArrowExpressions.kindOf(input.getFieldList().get(key).getType());
      if (k.isEmpty() || k.get() == Kind.LIST) {
        return false;
      }
    }
    for (AggregateCall call : agg.getAggCallList()) {
      if (call.isDistinct() || call.hasFilter() || call.isApproximate() || !call.collation.getFieldCollations().isEmpty()) {
        return false;
      }
      Optional<Kind> arg = call.getArgList().size() == 1 ? ArrowExpressions.kindOf(input.getFieldList().get(call.getArgList().get(0)).getType())
          : Optional.empty();
      boolean ok = switch (call.getAggregation().getKind()) {
        case COUNT -> call.getArgList().size() <= 1;
        case SUM, SUM0, AVG, MIN, MAX -> arg.isPresent() && ArrowExpressions.numeric(arg.get())
            && ArrowExpressions.kindOf(call.getType()).filter(ArrowExpressions::numeric).isPresent();
        default -> false;
      };
      if (!ok) {
        return false;
      }
    }
    for (RelDataTypeField f : agg.getRowType().getFieldList()) {
      if (!ArrowColumns.writable(RerunSqlTypes.toField(f.getName(), f.getType()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Aggregate copy(RelTraitSet traitSet, RelNode input, ImmutableBitSet groupSet, List<ImmutableBitSet> groupSets,
      List<AggregateCall> aggCalls) {
    return new ArrowAggregate(getCluster(), traitSet, input, groupSet, aggCalls);
  }

  @Override
  public RelOptCost computeSelfCost(RelOptPlanner planner, RelMetadataQuery mq) {
    return super.computeSelfCost(planner, mq).multiplyBy(0.1);
  }

  @Override
  public Schema arrowSchema() {
    return schema;
  }

  @Override
  public ResultBatches open(ArrowExecution execution) {
    ResultBatches input = ((ArrowRel) getInput()).open(execution);
    try {
      VectorSchemaRoot out = VectorSchemaRoot.create(schema, execution.allocator());
      return new ArrowBatches(out, input) {
        private Groups groups;
        private int emitted;

        @Override
        protected boolean fill() {
          if (groups == null) {
            groups = consume(input, execution);
          }
          int count = Math.min(execution.batchRows(), groups.size() - emitted);
          if (count <= 0) {
            return false;
          }
          groups.write(out, emitted, count);
          emitted += count;
          return true;
        }
      };
    } catch (RuntimeException e) {
      input.close();
      throw e;
    }
  }

  private Groups consume(ResultBatches input, ArrowExecution execution) {
    int[] keys = getGroupSet().toArray();
    Groups groups = new Groups(keys.length, accumulators(getInput().getRowType()));
    int[] groupOfRow = new int[0];
    if (keys.length == 0) {
      groups.group(List.of(), execution); // one group, even over no rows
    }
    while (input.next()) {
      execution.context().checkNow();
      VectorSchemaRoot in = input.root();
      int rows = in.getRowCount();
      if (groupOfRow.length < rows) {
        groupOfRow = new int[rows];
      }
      if (keys.length == 0) {
        Arrays.fill(groupOfRow, 0, rows, 0);
      } else if (keys.length == 1 && in.getVector(keys[0]) instanceof VarCharVector strings) {
        groupStrings(strings, rows, groupOfRow, groups, execution);
      } else {
        Column[] columns = new Column[keys.length];
        for (int k = 0; k < keys.length; k++) {
          columns[k] = ArrowExpressions.vectorColumn(in.getVector(keys[k]));
        }
        Kind[] kinds = new Kind[keys.length];
        for (int k = 0; k < keys.length; k++) {
          kinds[k] = ArrowExpressions.kindOf(getInput().getRowType().getFieldList().get(keys[k]).getType()).orElseThrow();
        }
        for (int r = 0; r < rows; r++) {
          List<Object> key = new ArrayList<>(keys.length);
          for (int k = 0; k < keys.length; k++) {
            key.add(keyValue(columns[k], kinds[k], r));
          }
          groupOfRow[r] = groups.group(key, execution);
        }
      }
      groups.add(in, groupOfRow, rows);
    }
    return groups;
  }

  /**
   * A single string key: consecutive equal keys (a partition's rows) are looked up once. The batch's
   * offsets and bytes are read out at once and compared as arrays, not through Arrow's checked
   * accessors row by row.
   */
  private static void groupStrings(VarCharVector strings, int rows, int[] groupOfRow, Groups groups, ArrowExecution execution) {
    if (rows == 0) {
      return;
    }
    int[] offsets = ArrowColumns.offsets(strings, rows);
    byte[] bytes = new byte[offsets[rows] - offsets[0]];
    strings.getDataBuffer().getBytes(offsets[0], bytes);
    int base = offsets[0];
    boolean nulls = strings.getNullCount() > 0;
    if (!nulls && oneValue(offsets, bytes, rows)) { // a scan's batches are each of one partition
      Arrays.fill(groupOfRow, 0, rows, groups.group(Collections.singletonList(new String(bytes, 0, offsets[1] - base,
          StandardCharsets.UTF_8)), execution));
      return;
    }
    int previousGroup = -1;
    boolean previousNull = false;
    int previousStart = 0;
    int previousEnd = 0;
    for (int r = 0; r < rows; r++) {
      boolean isNull = nulls && strings.isNull(r);
      int start = offsets[r] - base;
      int end = offsets[r + 1] - base;
      if (previousGroup >= 0 && isNull == previousNull
          && (isNull || Arrays.equals(bytes, start, end, bytes, previousStart, previousEnd))) {
        groupOfRow[r] = previousGroup;
        continue;
      }
      Object key = isNull ? null : new String(bytes, start, end - start, StandardCharsets.UTF_8);
      previousGroup = groups.group(Collections.singletonList(key), execution);
      previousNull = isNull;
      previousStart = start;
      previousEnd = end;
      groupOfRow[r] = previousGroup;
    }
  }

  /**
   * Whether every row holds the same bytes: all of one length and the bytes equal to themselves
   * shifted by that length (one comparison of the whole batch).
   */
  private static boolean oneValue(int[] offsets, byte[] bytes, int rows) {
    int length = offsets[1] - offsets[0];
    for (int r = 1; r < rows; r++) {
      if (offsets[r + 1] - offsets[r] != length) {
        return false;
      }
    }
    return Arrays.equals(bytes, 0, bytes.length - length, bytes, length, bytes.length);
  }

  private static Object keyValue(Column c, Kind kind, int row) {
    if (c.isNull(row)) {
      return null;
    }
    return switch (kind) {
      case LONG, BOOL -> c.getLong(row);
      case DOUBLE -> c.getDouble(row);
      default -> c.getString(row);
    };
  }

  private List<Accumulator> accumulators(org.apache.calcite.rel.type.RelDataType input) {
    List<Accumulator> out = new ArrayList<>();
    for (AggregateCall call : getAggCallList()) {
      int arg = call.getArgList().isEmpty() ? -1 : call.getArgList().get(0);
      Kind argKind = arg < 0 ? null : ArrowExpressions.kindOf(input.getFieldList().get(arg).getType()).orElseThrow();
      Kind result = ArrowExpressions.kindOf(call.getType()).orElse(Kind.LONG);
      out.add(new Accumulator(call.getAggregation().getKind(), arg, argKind, result));
    }
    return out;
  }

  /** The groups seen so far: their keys in first-seen order and their accumulators. */
  private static final class Groups {
    private final Map<List<Object>, Integer> ids = new HashMap<>();
    private final List<List<Object>> keys = new ArrayList<>();
    private final int keyCount;
    private final List<Accumulator> accumulators;

    Groups(int keyCount, List<Accumulator> accumulators) {
      this.keyCount = keyCount;
      this.accumulators = accumulators;
    }

    int size() {
      return keys.size();
    }

    int group(List<Object> key, ArrowExecution execution) {
      Integer id = ids.get(key);
      if (id != null) {
        return id;
      }
      execution.context().retainHeap(GROUP_BYTES + 48L * key.size());
      id = keys.size();
      ids.put(key, id);
      keys.add(key);
      for (Accumulator a : accumulators) {
        a.grow(keys.size());
      }
      return id;
    }

    void add(VectorSchemaRoot in, int[] groupOfRow, int rows) {
      for (Accumulator a : accumulators) {
        a.add(in, groupOfRow, rows);
      }
    }

    void write(VectorSchemaRoot out, int from, int count) {
      out.allocateNew();
      for (int k = 0; k < keyCount; k++) {
        FieldVector v = out.getVector(k);
        Values values = new Values(keyKind(v), count);
        Object[] strings = new Object[count];
        for (int i = 0; i < count; i++) {
          Object key = keys.get(from + i).get(k);
          if (key == null) {
            values.setNull(i);
          } else if (key instanceof Long l) {
            values.setLong(i, l);
          } else if (key instanceof Double d) {
            values.setDouble(i, d);
          } else {
            strings[i] = key;
          }
        }
        for (int i = 0; i < count; i++) {
          if (strings[i] != null) {
            v.setNull(i);
            ((VarCharVector) v).setSafe(i, strings[i].toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
          } else {
            ArrowColumns.set(v, i, values, i);
          }
        }
        v.setValueCount(count);
      }
      for (int a = 0; a < accumulators.size(); a++) {
        FieldVector v = out.getVector(keyCount + a);
        Column result = accumulators.get(a).result();
        for (int i = 0; i < count; i++) {
          ArrowColumns.set(v, i, result, from + i);
        }
        v.setValueCount(count);
      }
      out.setRowCount(count);
    }

    private static Kind keyKind(FieldVector v) {
      return v.getField().getType().getTypeID() == org.apache.arrow.vector.types.pojo.ArrowType.ArrowTypeID.FloatingPoint ? Kind.DOUBLE
          : Kind.LONG;
    }
  }

  /** One aggregate function's state for every group, in arrays indexed by group id. */
  private static final class Accumulator {
    private final SqlKind function;
    private final int arg;
    private final Kind argKind;
    private final Kind result;
    private long[] counts = new long[16];
    private long[] longs = new long[16];
    private double[] doubles = new double[16];

    Accumulator(SqlKind function, int arg, Kind argKind, Kind result) {
      this.function = function;
      this.arg = arg;
      this.argKind = argKind;
      this.result = result;
    }

    void grow(int groups) {
      if (groups > counts.length) {
        int n = Math.max(groups, counts.length * 2);
        counts = Arrays.copyOf(counts, n);
        longs = Arrays.copyOf(longs, n);
        doubles = Arrays.copyOf(doubles, n);
      }
    }

    void add(VectorSchemaRoot in, int[] groupOfRow, int rows) {
      if (arg < 0) { // COUNT(*)
        for (int r = 0; r < rows; r++) {
          counts[groupOfRow[r]]++;
        }
        return;
      }
      Column c = ArrowExpressions.batchColumn(in.getVector(arg));
      if (c instanceof Values v && v.doubles() != null && !exactArg() && (function == SqlKind.SUM || function == SqlKind.SUM0
          || function == SqlKind.AVG)) {
        addDoubles(v.nulls(), v.doubles(), groupOfRow, rows); // the common case, in one tight loop
        return;
      }
      boolean exact = exactArg();
      for (int r = 0; r < rows; r++) {
        if (c.isNull(r)) {
          continue;
        }
        int g = groupOfRow[r];
        long n = counts[g]++;
        switch (function) {
          case SUM, SUM0, AVG -> {
            if (exact) {
              longs[g] += c.getLong(r);
            } else {
              doubles[g] += c.getDouble(r);
            }
          }
          case MIN, MAX -> {
            boolean min = function == SqlKind.MIN;
            if (exact) {
              long v = c.getLong(r);
              if (n == 0 || (min ? v < longs[g] : v > longs[g])) {
                longs[g] = v;
              }
            } else {
              double v = c.getDouble(r);
              if (n == 0 || (min ? v < doubles[g] : v > doubles[g])) {
                doubles[g] = v;
              }
            }
          }
          default -> { } // COUNT(x): the count above
        }
      }
    }

    private boolean exactArg() {
      return argKind == Kind.LONG;
    }

    /** SUM, SUM0 or AVG of doubles: the same additions in the same order as the general loop. */
    private void addDoubles(boolean[] nulls, double[] values, int[] groupOfRow, int rows) {
      for (int r = 0; r < rows; r++) {
        if (!nulls[r]) {
          int g = groupOfRow[r];
          counts[g]++;
          doubles[g] += values[r];
        }
      }
    }

    /** The results of every group, as a column indexed by group id. */
    Column result() {
      int n = counts.length;
      Values out = new Values(result, n);
      for (int g = 0; g < n; g++) {
        long count = counts[g];
        switch (function) {
          case COUNT -> out.setLong(g, count);
          case SUM0, SUM, MIN, MAX -> {
            if (count == 0 && function != SqlKind.SUM0) {
              out.setNull(g);
            } else if (argKind == Kind.LONG) {
              set(out, g, longs[g]);
            } else {
              set(out, g, doubles[g]);
            }
          }
          default -> { // AVG: as the row engine, in the argument's arithmetic
            if (count == 0) {
              out.setNull(g);
            } else if (argKind == Kind.LONG) {
              set(out, g, longs[g] / count);
            } else {
              set(out, g, doubles[g] / count);
            }
          }
        }
      }
      return out;
    }

    private void set(Values out, int g, double v) {
      if (result == Kind.LONG) {
        out.setLong(g, (long) v);
      } else {
        out.setDouble(g, v);
      }
    }

    private void set(Values out, int g, long v) {
      if (result == Kind.LONG) {
        out.setLong(g, v);
      } else {
        out.setDouble(g, v);
      }
    }
  }
}
