package io.rrdflight.sql;

import java.sql.Types;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * The one place that maps SQL types (JDBC's and Calcite's) to Arrow types. The reverse, Rerun's
 * Arrow columns as SQL types, is {@link io.rrdflight.sql.calcite.RerunSqlTypes}.
 */
public final class ArrowSqlTypes {
  private ArrowSqlTypes() {}

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
