package io.rrdflight.sql.calcite;

import io.rrdflight.sql.SqlQueryException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampMilliVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.BaseListVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.util.TimestampString;

/**
 * Scalar SQL expressions evaluated a batch at a time: column references, literals, {@code ?}
 * parameters, comparisons, boolean logic with SQL's three-valued nulls, arithmetic, numeric casts
 * and array elements ({@code "col"[1]}). Values are of four kinds (64-bit integers, which also hold
 * TIMESTAMP as Calcite's milliseconds, doubles, booleans and strings); an expression outside this
 * set is not {@link #compile compiled}, and the operator holding it stays in Calcite's row engine.
 */
final class ArrowExpressions {
  private ArrowExpressions() {}

  enum Kind { LONG, DOUBLE, BOOL, STRING, LIST }

  /** One value per row of a batch. BOOL values read as {@code getLong} 1 or 0. */
  interface Column {
    boolean isNull(int row);

    long getLong(int row);

    double getDouble(int row);

    String getString(int row);
  }

  /** A compiled expression: its kind, and its values over one batch. */
  interface Expr {
    Kind kind();

    Column evaluate(VectorSchemaRoot batch, ArrowExecution execution);
  }

  /** {@code node} over batches of {@code input}, or empty when some part of it is not supported. */
  static Optional<Expr> compile(RexNode node, RelDataType input) {
    try {
      Expr e = compileOrThrow(node, input.getFieldList());
      return e.kind() == Kind.LIST ? Optional.empty() : Optional.of(e);
    } catch (Unsupported u) {
      return Optional.empty();
    }
  }

  /** Thrown while compiling: the expression is left to the row engine. */
  private static final class Unsupported extends Exception {
    Unsupported() {
      super(null, null, false, false);
    }
  }

  /**
   * The kind that holds values of SQL type {@code type}; an ARRAY is a LIST when its elements have
   * a kind. Columns read from Arrow vectors agree: {@link RerunSqlTypes} gives their SQL types.
   */
  static Optional<Kind> kindOf(RelDataType type) {
    return switch (type.getSqlTypeName()) {
      case ARRAY -> type.getComponentType() != null && kindOf(type.getComponentType()).filter(k -> k != Kind.LIST).isPresent()
          ? Optional.of(Kind.LIST) : Optional.empty();
      case TINYINT, SMALLINT, INTEGER, BIGINT, TIMESTAMP -> Optional.of(Kind.LONG);
      case REAL, FLOAT, DOUBLE -> Optional.of(Kind.DOUBLE);
      case BOOLEAN -> Optional.of(Kind.BOOL);
      case CHAR, VARCHAR -> Optional.of(Kind.STRING);
      default -> Optional.empty();
    };
  }

  private static Expr compileOrThrow(RexNode node, List<RelDataTypeField> fields) throws Unsupported {
    if (node instanceof RexInputRef ref) {
      Kind kind = kindOf(fields.get(ref.getIndex()).getType()).orElseThrow(Unsupported::new);
      int index = ref.getIndex();
      return new Expr() {
        public Kind kind() {
          return kind;
        }

        public Column evaluate(VectorSchemaRoot batch, ArrowExecution execution) {
          return batchColumn(batch.getVector(index));
        }
      };
    }
    if (node instanceof RexLiteral lit) {
      Kind kind = literalKind(lit).orElseThrow(Unsupported::new);
      Constant value = constant(kind, literalValue(lit, kind));
      return fixed(kind, value);
    }
    if (node instanceof RexDynamicParam p) {
      Kind kind = kindOf(p.getType()).orElseThrow(Unsupported::new);
      int index = p.getIndex();
      return new Expr() {
        public Kind kind() {
          return kind;
        }

        public Column evaluate(VectorSchemaRoot batch, ArrowExecution execution) {
          return constant(kind, parameterValue(execution.parameter(index), kind));
        }
      };
    }
    if (!(node instanceof RexCall call)) {
      throw new Unsupported();
    }
    if ((call.getKind() == SqlKind.IS_NULL || call.getKind() == SqlKind.IS_NOT_NULL) && call.getOperands().get(0) instanceof RexInputRef ref) {
      return columnIsNull(ref.getIndex(), call.getKind() == SqlKind.IS_NULL);
    }
    SqlKind op = call.getKind();
    if (COMPARISONS.contains(op) && RerunSqlTypes.isTimestamp(call.getOperands().get(0)) && RerunSqlTypes.isTimestamp(call.getOperands().get(1))) {
      return timestampComparison(op, nanosOf(call.getOperands().get(0)), nanosOf(call.getOperands().get(1)));
    }
    List<Expr> args = new ArrayList<>();
    for (RexNode operand : call.getOperands()) {
      args.add(compileOrThrow(operand, fields));
    }
    switch (op) {
      case EQUALS, NOT_EQUALS, LESS_THAN, LESS_THAN_OR_EQUAL, GREATER_THAN, GREATER_THAN_OR_EQUAL -> {
        Kind a = args.get(0).kind();
        Kind b = args.get(1).kind();
        boolean numeric = numeric(a) && numeric(b);
        if (!numeric && a != b || a == Kind.LIST || b == Kind.LIST) {
          throw new Unsupported();
        }
        Kind compareAs = numeric ? (a == Kind.DOUBLE || b == Kind.DOUBLE ? Kind.DOUBLE : Kind.LONG) : a;
        return computed(Kind.BOOL, args, (cols, row, out) -> out.setLong(row, holds(op, compare(compareAs, cols[0], cols[1], row)) ? 1 : 0), true);
      }
      case AND, OR -> {
        requireAll(args, Kind.BOOL);
        boolean and = op == SqlKind.AND;
        return computed(Kind.BOOL, args, (cols, row, out) -> {
          boolean sawNull = false;
          for (Column c : cols) {
            if (c.isNull(row)) {
              sawNull = true;
            } else if ((c.getLong(row) != 0) != and) {
              out.setLong(row, and ? 0 : 1);
              return;
            }
          }
          if (sawNull) {
            out.setNull(row);
          } else {
            out.setLong(row, and ? 1 : 0);
          }
        }, false);
      }
      case NOT -> {
        requireAll(args, Kind.BOOL);
        return computed(Kind.BOOL, args, (cols, row, out) -> out.setLong(row, cols[0].getLong(row) != 0 ? 0 : 1), true);
      }
      case IS_NULL, IS_NOT_NULL -> {
        boolean wantNull = op == SqlKind.IS_NULL;
        Expr arg = args.get(0);
        if (arg.kind() == Kind.LIST) {
          throw new Unsupported(); // only a column's lists are read (above), never computed ones
        }
        return new Expr() {
          public Kind kind() {
            return Kind.BOOL;
          }

          public Column evaluate(VectorSchemaRoot batch, ArrowExecution execution) {
            Column c = arg.evaluate(batch, execution);
            return new BoolOf(row -> c.isNull(row) == wantNull);
          }
        };
      }
      case IS_TRUE, IS_FALSE, IS_NOT_TRUE, IS_NOT_FALSE -> {
        requireAll(args, Kind.BOOL);
        return computed(Kind.BOOL, args, (cols, row, out) -> {
          boolean isNull = cols[0].isNull(row);
          boolean v = !isNull && cols[0].getLong(row) != 0;
          boolean r = switch (op) {
            case IS_TRUE -> !isNull && v;
            case IS_FALSE -> !isNull && !v;
            case IS_NOT_TRUE -> isNull || !v;
            default -> isNull || v;
          };
          out.setLong(row, r ? 1 : 0);
        }, false);
      }
      case PLUS, MINUS, TIMES, DIVIDE, MINUS_PREFIX -> {
        for (Expr a : args) {
          if (!numeric(a.kind())) {
            throw new Unsupported();
          }
        }
        Kind result = kindOf(call.getType()).filter(ArrowExpressions::numeric).orElseThrow(Unsupported::new);
        if (call.getType().getSqlTypeName() == org.apache.calcite.sql.type.SqlTypeName.TIMESTAMP) {
          throw new Unsupported();
        }
        return computed(result, args, (cols, row, out) -> {
          if (result == Kind.LONG) {
            long a = cols[0].getLong(row);
            long v = op == SqlKind.MINUS_PREFIX ? -a : switch (op) {
              case PLUS -> a + cols[1].getLong(row);
              case MINUS -> a - cols[1].getLong(row);
              case TIMES -> a * cols[1].getLong(row);
              default -> a / cols[1].getLong(row);
            };
            out.setLong(row, v);
          } else {
            double a = cols[0].getDouble(row);
            double v = op == SqlKind.MINUS_PREFIX ? -a : switch (op) {
              case PLUS -> a + cols[1].getDouble(row);
              case MINUS -> a - cols[1].getDouble(row);
              case TIMES -> a * cols[1].getDouble(row);
              default -> a / cols[1].getDouble(row);
            };
            out.setDouble(row, v);
          }
        }, true);
      }
      case CAST -> {
        Kind from = args.get(0).kind();
        Kind to = kindOf(call.getType()).orElseThrow(Unsupported::new);
        boolean timestamps = call.getType().getSqlTypeName() == org.apache.calcite.sql.type.SqlTypeName.TIMESTAMP
            || call.getOperands().get(0).getType().getSqlTypeName() == org.apache.calcite.sql.type.SqlTypeName.TIMESTAMP;
        if (from == to && (!timestamps || call.getType().getSqlTypeName() == call.getOperands().get(0).getType().getSqlTypeName())) {
          return args.get(0); // widening or nullability only
        }
        if (!numeric(from) || !numeric(to) || timestamps) {
          throw new Unsupported();
        }
        return computed(to, args, (cols, row, out) -> {
          if (to == Kind.LONG) {
            out.setLong(row, from == Kind.LONG ? cols[0].getLong(row) : (long) cols[0].getDouble(row));
          } else {
            out.setDouble(row, cols[0].getDouble(row));
          }
        }, true);
      }
      case ITEM -> {
        if (args.get(0).kind() != Kind.LIST || !(call.getOperands().get(1) instanceof RexLiteral at) || args.get(1).kind() != Kind.LONG) {
          throw new Unsupported();
        }
        if (!(call.getOperands().get(0) instanceof RexInputRef)) {
          throw new Unsupported();
        }
        Kind kind = kindOf(call.getOperands().get(0).getType().getComponentType()).orElseThrow(Unsupported::new);
        long position = ((BigDecimal) literalValue(at, Kind.LONG).value()).longValue();
        int column = ((RexInputRef) call.getOperands().get(0)).getIndex();
        return new Expr() {
          public Kind kind() {
            return kind;
          }

          public Column evaluate(VectorSchemaRoot batch, ArrowExecution execution) {
            return itemColumn((BaseListVector) batch.getVector(column), position);
          }
        };
      }
      default -> throw new Unsupported();
    }
  }

  /**
   * {@code IS [NOT] NULL} of a column of any type: the vector's validity, read without its values, so
   * lists of lists (Points3D positions) and of structs are filtered here too, though no other
   * expression reads them.
   */
  private static Expr columnIsNull(int index, boolean wantNull) {
    return new Expr() {
      public Kind kind() {
        return Kind.BOOL;
      }

      public Column evaluate(VectorSchemaRoot batch, ArrowExecution execution) {
        FieldVector v = batch.getVector(index);
        return new BoolOf(row -> v.isNull(row) == wantNull);
      }
    };
  }

  private static final java.util.Set<SqlKind> COMPARISONS = java.util.EnumSet.of(SqlKind.EQUALS, SqlKind.NOT_EQUALS,
      SqlKind.LESS_THAN, SqlKind.LESS_THAN_OR_EQUAL, SqlKind.GREATER_THAN, SqlKind.GREATER_THAN_OR_EQUAL);

  /** Whether comparison {@code op} holds for operands that compared as {@code c} (negative, zero, positive). */
  private static boolean holds(SqlKind op, int c) {
    return switch (op) {
      case EQUALS -> c == 0;
      case NOT_EQUALS -> c != 0;
      case LESS_THAN -> c < 0;
      case LESS_THAN_OR_EQUAL -> c <= 0;
      case GREATER_THAN -> c > 0;
      default -> c >= 0;
    };
  }

  // ---- TIMESTAMP comparisons, in nanoseconds ----

  /**
   * A TIMESTAMP operand's values as nanoseconds since the epoch. Comparisons of two TIMESTAMPs are
   * decided on these rather than on Calcite's milliseconds, so that a literal or parameter with
   * nanoseconds (as Rerun's times have) splits rows of one millisecond as it should.
   */
  private interface Nanos {
    boolean isNull(int row);

    long nanos(int row);
  }

  @FunctionalInterface
  private interface NanosExpr {
    Nanos evaluate(VectorSchemaRoot batch, ArrowExecution execution);
  }

  /** A column, literal or parameter of a TIMESTAMP comparison (through casts between TIMESTAMPs); else Unsupported. */
  private static NanosExpr nanosOf(RexNode node) throws Unsupported {
    RexNode n = node;
    while (n instanceof RexCall c && c.getKind() == SqlKind.CAST && RerunSqlTypes.isTimestamp(c.getOperands().get(0))) {
      n = c.getOperands().get(0);
    }
    if (n instanceof RexInputRef ref) {
      int index = ref.getIndex();
      return (batch, execution) -> nanosColumn(batch.getVector(index));
    }
    if (n instanceof RexLiteral lit) {
      Nanos value = fixedNanos(lit.isNull() ? null : lit.getValueAs(TimestampString.class));
      return (batch, execution) -> value;
    }
    if (n instanceof RexDynamicParam p) {
      int index = p.getIndex();
      return (batch, execution) -> fixedNanos(execution.parameter(index));
    }
    throw new Unsupported();
  }

  /** A value for every row: a timestamp, a number of milliseconds (as Calcite's), or null. Saturates beyond 64 bits. */
  private static Nanos fixedNanos(Object v) {
    BigDecimal nanos = v == null ? null : RerunSqlTypes.epochNanos(v).orElseGet(() -> {
      if (v instanceof Number n) {
        return new BigDecimal(n.toString()).scaleByPowerOfTen(6);
      }
      throw new SqlQueryException("Parameter value " + v + " is not a timestamp");
    });
    long value = nanos == null ? 0 : nanos.max(BigDecimal.valueOf(Long.MIN_VALUE)).min(BigDecimal.valueOf(Long.MAX_VALUE)).longValue();
    return new Nanos() {
      public boolean isNull(int row) {
        return nanos == null;
      }

      public long nanos(int row) {
        return value;
      }
    };
  }

  /** A timestamp vector of any unit, in nanoseconds (saturating). */
  private static Nanos nanosColumn(FieldVector v) {
    if (!(v instanceof TimeStampVector t)) {
      throw new IllegalStateException("not a timestamp column: " + v.getField());
    }
    long per = RerunSqlTypes.nanosPer(((ArrowType.Timestamp) v.getField().getType()).getUnit());
    return new Nanos() {
      public boolean isNull(int row) {
        return t.isNull(row);
      }

      public long nanos(int row) {
        long raw = t.get(row);
        long high = Math.multiplyHigh(raw, per);
        long low = raw * per;
        return high == (low >> 63) ? low : raw < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
      }
    };
  }

  private static Expr timestampComparison(SqlKind op, NanosExpr left, NanosExpr right) {
    return new Expr() {
      public Kind kind() {
        return Kind.BOOL;
      }

      public Column evaluate(VectorSchemaRoot batch, ArrowExecution execution) {
        Nanos a = left.evaluate(batch, execution);
        Nanos b = right.evaluate(batch, execution);
        int rows = batch.getRowCount();
        Values out = new Values(Kind.BOOL, rows);
        for (int row = 0; row < rows; row++) {
          if (a.isNull(row) || b.isNull(row)) {
            out.setNull(row);
          } else {
            out.setLong(row, holds(op, Long.compare(a.nanos(row), b.nanos(row))) ? 1 : 0);
          }
        }
        return out;
      }
    };
  }

  private static void requireAll(List<Expr> args, Kind kind) throws Unsupported {
    for (Expr a : args) {
      if (a.kind() != kind) {
        throw new Unsupported();
      }
    }
  }

  static boolean numeric(Kind k) {
    return k == Kind.LONG || k == Kind.DOUBLE;
  }

  private static int compare(Kind as, Column a, Column b, int row) {
    return switch (as) {
      case LONG, BOOL -> Long.compare(a.getLong(row), b.getLong(row));
      case DOUBLE -> Double.compare(a.getDouble(row), b.getDouble(row)) == 0 ? 0 : a.getDouble(row) < b.getDouble(row) ? -1 : 1;
      case STRING -> a.getString(row).compareTo(b.getString(row));
      default -> throw new IllegalStateException("not comparable: " + as);
    };
  }

  // ---- literals and parameters ----

  private record Literal(Object value) {}

  private static Optional<Kind> literalKind(RexLiteral lit) {
    if (lit.getType().getSqlTypeName() == org.apache.calcite.sql.type.SqlTypeName.DECIMAL) {
      BigDecimal v = lit.getValueAs(BigDecimal.class);
      return Optional.of(v == null || v.stripTrailingZeros().scale() <= 0 && v.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) < 0
          ? Kind.LONG : Kind.DOUBLE);
    }
    return kindOf(lit.getType());
  }

  private static Literal literalValue(RexLiteral lit, Kind kind) {
    if (lit.isNull()) {
      return new Literal(null);
    }
    if (lit.getType().getSqlTypeName() == org.apache.calcite.sql.type.SqlTypeName.TIMESTAMP) {
      return new Literal(BigDecimal.valueOf(lit.getValueAs(TimestampString.class).getMillisSinceEpoch()));
    }
    return switch (kind) {
      case LONG, DOUBLE -> new Literal(lit.getValueAs(BigDecimal.class));
      case BOOL -> new Literal(lit.getValueAs(Boolean.class));
      case STRING -> new Literal(lit.getValueAs(String.class));
      default -> throw new IllegalStateException("no literal of kind " + kind);
    };
  }

  private static Literal parameterValue(Object v, Kind kind) {
    if (v == null) {
      return new Literal(null);
    }
    Object value = switch (kind) {
      case LONG -> RerunSqlTypes.epochNanos(v) // a timestamp: Calcite's milliseconds of UTC's wall clock
          .map(nanos -> nanos.divide(BigDecimal.valueOf(1_000_000L), 0, java.math.RoundingMode.FLOOR))
          .orElseGet(() -> v instanceof Number n ? new BigDecimal(n.toString()) : v instanceof Boolean ? null : new BigDecimal(v.toString().trim()));
      case DOUBLE -> v instanceof Number n ? new BigDecimal(n.toString()) : new BigDecimal(v.toString().trim());
      case BOOL -> v instanceof Boolean b ? b : Boolean.parseBoolean(v.toString());
      case STRING -> v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : v.toString();
      default -> null;
    };
    if (value == null) {
      throw new SqlQueryException("Parameter value " + v + " is not a " + kind.name().toLowerCase(java.util.Locale.ROOT));
    }
    return new Literal(value);
  }

  private static Constant constant(Kind kind, Literal literal) {
    Object v = literal.value();
    return switch (kind) {
      case LONG -> new Constant(v == null, v == null ? 0 : ((BigDecimal) v).longValue(), v == null ? 0 : ((BigDecimal) v).doubleValue(), null);
      case DOUBLE -> new Constant(v == null, v == null ? 0 : ((BigDecimal) v).longValue(), v == null ? 0 : ((BigDecimal) v).doubleValue(), null);
      case BOOL -> new Constant(v == null, Boolean.TRUE.equals(v) ? 1 : 0, 0, null);
      default -> new Constant(v == null, 0, 0, (String) v);
    };
  }

  private static Expr fixed(Kind kind, Constant value) {
    return new Expr() {
      public Kind kind() {
        return kind;
      }

      public Column evaluate(VectorSchemaRoot batch, ArrowExecution execution) {
        return value;
      }
    };
  }

  private record Constant(boolean isNull, long longValue, double doubleValue, String string) implements Column {
    public boolean isNull(int row) {
      return isNull;
    }

    public long getLong(int row) {
      return longValue;
    }

    public double getDouble(int row) {
      return doubleValue;
    }

    public String getString(int row) {
      return string;
    }
  }

  // ---- computed columns ----

  /** Computes one row of a call's result from its arguments' columns. */
  @FunctionalInterface
  private interface RowFunction {
    void apply(Column[] args, int row, Values out);
  }

  /**
   * A call evaluated row by row into arrays; with {@code nullIn}, a row where an argument is null
   * is null without calling {@code f} (SQL's strict functions).
   */
  private static Expr computed(Kind kind, List<Expr> args, RowFunction f, boolean nullIn) {
    return new Expr() {
      public Kind kind() {
        return kind;
      }

      public Column evaluate(VectorSchemaRoot batch, ArrowExecution execution) {
        int rows = batch.getRowCount();
        Column[] cols = new Column[args.size()];
        for (int i = 0; i < cols.length; i++) {
          cols[i] = args.get(i).evaluate(batch, execution);
        }
        Values out = new Values(kind, rows);
        for (int row = 0; row < rows; row++) {
          if (nullIn && anyNull(cols, row)) {
            out.setNull(row);
          } else {
            f.apply(cols, row, out);
          }
        }
        return out;
      }
    };
  }

  private static boolean anyNull(Column[] cols, int row) {
    for (Column c : cols) {
      if (c.isNull(row)) {
        return true;
      }
    }
    return false;
  }

  /** A computed column: one array per kind. */
  static final class Values implements Column {
    private final boolean[] nulls;
    private final long[] longs;
    private final double[] doubles;

    Values(Kind kind, int rows) {
      this(new boolean[rows], kind == Kind.DOUBLE ? null : new long[rows], kind == Kind.DOUBLE ? new double[rows] : null);
    }

    /** Over arrays of one row each: {@code longs} or {@code doubles} is null. */
    Values(boolean[] nulls, long[] longs, double[] doubles) {
      this.nulls = nulls;
      this.longs = longs;
      this.doubles = doubles;
    }

    /** The values when they are doubles, else null (then {@link #longs} holds them). */
    double[] doubles() {
      return doubles;
    }

    long[] longs() {
      return longs;
    }

    boolean[] nulls() {
      return nulls;
    }

    void setNull(int row) {
      nulls[row] = true;
    }

    void setLong(int row, long v) {
      longs[row] = v;
    }

    void setDouble(int row, double v) {
      doubles[row] = v;
    }

    public boolean isNull(int row) {
      return nulls[row];
    }

    public long getLong(int row) {
      return longs != null ? longs[row] : (long) doubles[row];
    }

    public double getDouble(int row) {
      return doubles != null ? doubles[row] : longs[row];
    }

    public String getString(int row) {
      throw new IllegalStateException("not a string column");
    }
  }

  private record BoolOf(java.util.function.IntPredicate p) implements Column {
    public boolean isNull(int row) {
      return false;
    }

    public long getLong(int row) {
      return p.test(row) ? 1 : 0;
    }

    public double getDouble(int row) {
      return getLong(row);
    }

    public String getString(int row) {
      throw new IllegalStateException("not a string column");
    }
  }

  // ---- columns over Arrow vectors ----

  /** A column reading {@code v} as the row engine would see its values. */
  static Column vectorColumn(FieldVector v) {
    if (v instanceof Float8Vector f) {
      return new Reader(v) {
        public double getDouble(int row) {
          return f.get(row);
        }
      };
    }
    if (v instanceof Float4Vector f) {
      return new Reader(v) {
        public double getDouble(int row) {
          return f.get(row);
        }
      };
    }
    if (v instanceof TimeStampNanoVector t) {
      return new Reader(v) {
        public long getLong(int row) {
          return Math.floorDiv(t.get(row), 1_000_000L); // Calcite's TIMESTAMP is milliseconds
        }
      };
    }
    if (v instanceof TimeStampMilliVector t) {
      return new Reader(v) {
        public long getLong(int row) {
          return t.get(row);
        }
      };
    }
    if (v instanceof DurationVector d) {
      return new Reader(v) {
        public long getLong(int row) {
          return d.getDataBuffer().getLong((long) row * 8);
        }
      };
    }
    if (v instanceof BitVector b) {
      return new Reader(v) {
        public long getLong(int row) {
          return b.get(row);
        }
      };
    }
    if (v instanceof VarCharVector s) {
      return new Reader(v) {
        public String getString(int row) {
          return new String(s.get(row), StandardCharsets.UTF_8);
        }
      };
    }
    if (v instanceof BaseIntVector i) {
      boolean unsigned = !((ArrowType.Int) v.getField().getType()).getIsSigned();
      int bits = ((ArrowType.Int) v.getField().getType()).getBitWidth();
      return new Reader(v) {
        public long getLong(int row) {
          long x = i.getValueAsLong(row);
          return unsigned && bits < 64 ? x & ((1L << bits) - 1) : x;
        }
      };
    }
    throw new IllegalStateException("no reader for " + v.getField());
  }

  /**
   * A column for one pass over a batch: fixed-width numbers are read out of the vector at once
   * ({@link ArrowColumns#read}) rather than row by row through Arrow's checked accessors, into heap
   * arrays the size of the vector; so not for columns kept beside retained batches (a sort's keys).
   */
  static Column batchColumn(FieldVector v) {
    Values bulk = ArrowColumns.read(v);
    return bulk != null ? bulk : vectorColumn(v);
  }

  /**
   * Element {@code position} (1-based) of each row's list: null where the list is null or shorter.
   * Where each row's element is is worked out once for the batch; the elements are read in bulk
   * when the lists hold few of them (scalars: one each), else row by row (a tensor's thousands).
   */
  private static Column itemColumn(BaseListVector list, long position) {
    FieldVector data = list instanceof ListVector l ? l.getDataVector() : ((FixedSizeListVector) list).getDataVector();
    int rows = list.getValueCount();
    int[] at = elementPositions(list, position, rows);
    Column values = data.getValueCount() <= 2L * rows + 1024 ? batchColumn(data) : vectorColumn(data);
    return new Column() {
      public boolean isNull(int row) {
        int i = at[row];
        return i < 0 || values.isNull(i);
      }

      public long getLong(int row) {
        return values.getLong(at[row]);
      }

      public double getDouble(int row) {
        return values.getDouble(at[row]);
      }

      public String getString(int row) {
        return values.getString(at[row]);
      }
    };
  }

  /** Per row, the index of element {@code position} (1-based) in the list's data vector, or -1 where there is none. */
  private static int[] elementPositions(BaseListVector list, long position, int rows) {
    int[] at = new int[rows];
    int[] offsets = list instanceof ListVector l ? ArrowColumns.offsets(l, rows) : null;
    int size = list instanceof FixedSizeListVector f ? f.getListSize() : 0;
    boolean nulls = list.getNullCount() > 0;
    for (int row = 0; row < rows; row++) {
      long start = offsets != null ? offsets[row] : (long) row * size;
      long end = offsets != null ? offsets[row + 1] : start + size;
      long i = start + position - 1;
      at[row] = position < 1 || i >= end || nulls && list.isNull(row) ? -1 : (int) i;
    }
    return at;
  }

  private abstract static class Reader implements Column {
    private final FieldVector v;

    Reader(FieldVector v) {
      this.v = v;
    }

    public boolean isNull(int row) {
      return v.isNull(row);
    }

    public long getLong(int row) {
      throw new IllegalStateException("not an integer column: " + v.getField());
    }

    public double getDouble(int row) {
      return getLong(row);
    }

    public String getString(int row) {
      throw new IllegalStateException("not a string column: " + v.getField());
    }
  }
}
