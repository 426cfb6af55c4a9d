package io.rrdflight.sql.calcite;

import io.rrdflight.catalog.DatasetSchema.ComponentColumn;
import io.rrdflight.rrd.Timeline;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.Text;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * The one place that maps Rerun's Arrow column types to SQL types (and Arrow values to the Java
 * values Calcite's row engine expects). Sequences and durations are BIGINT (nanoseconds for
 * durations); timestamps are TIMESTAMP, which Calcite keeps in milliseconds, so exact nanosecond
 * ranges are given as BIGINT arguments of {@code query_view}. A component, {@code List<T>}, is an
 * ARRAY of T; structs and unions, which SQL cannot express here, are ANY.
 */
public final class RerunSqlTypes {
  private RerunSqlTypes() {}

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
}
