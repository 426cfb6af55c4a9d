package io.rrdflight.sql.calcite;

import io.rrdflight.catalog.DatasetSchema.ComponentColumn;
import io.rrdflight.rrd.Timeline;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.FieldType;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.Text;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.util.TimestampString;

/**
 * The one place that maps types between Arrow and SQL: Rerun's Arrow column types to SQL types (and
 * Arrow values to the Java values Calcite's row engine expects), and the SQL types of computed
 * columns and parameters to Arrow types. Sequences and durations are BIGINT (nanoseconds for
 * durations); timestamps are TIMESTAMP, which Calcite's row engine keeps in milliseconds; comparisons
 * of a TIMESTAMP with a literal or parameter are exact to the nanosecond where the scan and the batch
 * engine decide them ({@link #epochNanos}). A component, {@code List<T>}, is an ARRAY of T; structs and
 * unions, which SQL cannot express here, are ANY.
 */
public final class RerunSqlTypes {
  private RerunSqlTypes() {}

  /**
   * A TIMESTAMP literal's or parameter's value as nanoseconds since the epoch, every digit kept (Calcite's
   * own long for a TIMESTAMP is milliseconds, which put {@code time >= TIMESTAMP '…:00.197233475'} a
   * millisecond early). A TIMESTAMP here is UTC's wall clock, as Rerun's timestamps are UTC, so a
   * {@link java.sql.Timestamp} is read by its fields, never through the JVM's time zone. Empty for a value
   * of another kind. Literals arrive as {@link TimestampString}, parameters as Timestamp, LocalDateTime or
   * Instant.
   */
  public static Optional<BigDecimal> epochNanos(Object value) {
    LocalDateTime t;
    if (value instanceof TimestampString s) {
      t = LocalDateTime.parse(s.toString().replace(' ', 'T'));
    } else if (value instanceof java.sql.Timestamp ts) {
      t = ts.toLocalDateTime();
    } else if (value instanceof LocalDateTime l) {
      t = l;
    } else if (value instanceof Instant i) {
      return Optional.of(nanos(i.getEpochSecond(), i.getNano()));
    } else {
      return Optional.empty();
    }
    return Optional.of(nanos(t.toEpochSecond(ZoneOffset.UTC), t.getNano()));
  }

  private static BigDecimal nanos(long seconds, int nanos) {
    return BigDecimal.valueOf(seconds).scaleByPowerOfTen(9).add(BigDecimal.valueOf(nanos));
  }

  /** Nanoseconds in one step of an Arrow timestamp's unit. */
  public static long nanosPer(TimeUnit unit) {
    return switch (unit) {
      case SECOND -> 1_000_000_000L;
      case MILLISECOND -> 1_000_000L;
      case MICROSECOND -> 1_000L;
      case NANOSECOND -> 1L;
    };
  }

  /** Whether an expression is a TIMESTAMP, of any precision. */
  static boolean isTimestamp(org.apache.calcite.rex.RexNode node) {
    return node.getType().getSqlTypeName() == SqlTypeName.TIMESTAMP;
  }

  public static RelDataType partitionIdType(RelDataTypeFactory f) {
    return f.createSqlType(SqlTypeName.VARCHAR);
  }

  public static RelDataType indexType(RelDataTypeFactory f, Timeline index) {
    RelDataType type = switch (index.kind()) {
      case SEQUENCE, DURATION -> f.createSqlType(SqlTypeName.BIGINT);
      case TIMESTAMP -> f.createSqlType(SqlTypeName.TIMESTAMP, 3);
    };
    return f.createTypeWithNullability(type, true);
  }

  public static RelDataType componentType(RelDataTypeFactory f, ComponentColumn column) {
    return f.createTypeWithNullability(of(f, column.field()), true);
  }

  /**
   * A column of a table entry (a Lance table): as a component's element, and timestamps as
   * TIMESTAMP (milliseconds, as for index columns), nullable.
   */
  public static RelDataType tableColumnType(RelDataTypeFactory f, Field field) {
    if (field.getType() instanceof ArrowType.Timestamp) {
      return f.createTypeWithNullability(f.createSqlType(SqlTypeName.TIMESTAMP, 3), true);
    }
    return f.createTypeWithNullability(of(f, field), true);
  }

  private static RelDataType of(RelDataTypeFactory f, Field field) {
    ArrowType type = field.getType();
    RelDataType sql = switch (type.getTypeID()) {
      case List, LargeList, FixedSizeList -> f.createArrayType(of(f, field.getChildren().get(0)), -1);
      case Int -> {
        ArrowType.Int i = (ArrowType.Int) type;
        int bits = i.getIsSigned() ? i.getBitWidth() : i.getBitWidth() * 2; // unsigned needs the next wider type
        yield f.createSqlType(bits <= 8 ? SqlTypeName.TINYINT : bits <= 16 ? SqlTypeName.SMALLINT : bits <= 32 ? SqlTypeName.INTEGER : SqlTypeName.BIGINT);
      }
      case FloatingPoint -> f.createSqlType(((ArrowType.FloatingPoint) type).getPrecision() == FloatingPointPrecision.DOUBLE
          ? SqlTypeName.DOUBLE : SqlTypeName.REAL);
      case Bool -> f.createSqlType(SqlTypeName.BOOLEAN);
      case Utf8, LargeUtf8 -> f.createSqlType(SqlTypeName.VARCHAR);
      case Binary, LargeBinary, FixedSizeBinary -> f.createSqlType(SqlTypeName.VARBINARY);
      default -> f.createSqlType(SqlTypeName.ANY);
    };
    return f.createTypeWithNullability(sql, true);
  }

  /** An Arrow value (from {@code getObject}) as Calcite's row engine holds the SQL type above. */
  public static Object toSqlValue(Object value, Field field) {
    if (value == null) {
      return null;
    }
    ArrowType type = field.getType();
    switch (type.getTypeID()) {
      case List, LargeList, FixedSizeList -> {
        Field child = field.getChildren().get(0);
        List<Object> out = new ArrayList<>();
        for (Object item : (List<?>) value) {
          out.add(toSqlValue(item, child));
        }
        return out;
      }
      case Int -> {
        ArrowType.Int i = (ArrowType.Int) type;
        long v = ((Number) (value instanceof Character c ? (int) c : value)).longValue();
        if (!i.getIsSigned() && i.getBitWidth() < 64 && v < 0) {
          v &= (1L << i.getBitWidth()) - 1; // Arrow hands unsigned values back sign-extended
        }
        int bits = i.getIsSigned() ? i.getBitWidth() : i.getBitWidth() * 2;
        return bits <= 8 ? (Object) (byte) v : bits <= 16 ? (Object) (short) v : bits <= 32 ? (Object) (int) v : (Object) v;
      }
      case Utf8, LargeUtf8 -> {
        return value instanceof Text t ? t.toString() : value.toString();
      }
      case Binary, LargeBinary, FixedSizeBinary -> {
        return value instanceof byte[] b ? new org.apache.calcite.avatica.util.ByteString(b) : value;
      }
      default -> {
        return value instanceof Text t ? new String(t.copyBytes(), StandardCharsets.UTF_8) : value;
      }
    }
  }

  /**
   * The Arrow field for a column of SQL type {@code type} computed by the planner (not read from a
   * dataset): the same Arrow type as a JDBC client of the row engine is announced, and ARRAY as an
   * Arrow list of its element type.
   */
  public static Field toField(String name, RelDataType type) {
    if (type.getSqlTypeName() == SqlTypeName.ARRAY && type.getComponentType() != null) {
      return new Field(name, new FieldType(type.isNullable(), ArrowType.List.INSTANCE, null),
          List.of(toField("item", type.getComponentType())));
    }
    return new Field(name, new FieldType(type.isNullable(),
        toArrow(type.getSqlTypeName().getJdbcOrdinal(), type.getPrecision(), type.getScale()), null), null);
  }

  public static ArrowType toArrow(int jdbcType, int precision, int scale) {
    return switch (jdbcType) {
      case Types.BOOLEAN, Types.BIT -> ArrowType.Bool.INSTANCE;
      case Types.TINYINT -> new ArrowType.Int(8, true);
      case Types.SMALLINT -> new ArrowType.Int(16, true);
      case Types.INTEGER -> new ArrowType.Int(32, true);
      case Types.BIGINT -> new ArrowType.Int(64, true);
      case Types.REAL, Types.FLOAT -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case Types.DOUBLE -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case Types.DECIMAL, Types.NUMERIC -> new ArrowType.Decimal(Math.max(1, Math.min(precision, 38)), Math.max(0, scale), 128);
      case Types.DATE -> new ArrowType.Date(DateUnit.DAY);
      case Types.TIME -> new ArrowType.Time(TimeUnit.MILLISECOND, 32);
      case Types.TIMESTAMP -> new ArrowType.Timestamp(TimeUnit.MILLISECOND, null);
      case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY -> ArrowType.Binary.INSTANCE;
      case Types.NULL -> ArrowType.Null.INSTANCE;
      default -> ArrowType.Utf8.INSTANCE;
    };
  }

  /** The JDBC type a client should see for an Arrow type, e.g. for parameter metadata. */
  public static int toJdbc(ArrowType type) {
    return switch (type.getTypeID()) {
      case Bool -> Types.BOOLEAN;
      case Int -> switch (((ArrowType.Int) type).getBitWidth()) {
        case 8 -> Types.TINYINT;
        case 16 -> Types.SMALLINT;
        case 32 -> Types.INTEGER;
        default -> Types.BIGINT;
      };
      case FloatingPoint -> ((ArrowType.FloatingPoint) type).getPrecision() == FloatingPointPrecision.DOUBLE ? Types.DOUBLE : Types.REAL;
      case Decimal -> Types.DECIMAL;
      case Date -> Types.DATE;
      case Time -> Types.TIME;
      case Timestamp -> Types.TIMESTAMP;
      case Binary, LargeBinary, FixedSizeBinary -> Types.VARBINARY;
      case Null -> Types.NULL;
      default -> Types.VARCHAR;
    };
  }
}
