package io.rrdflight.sql.calcite;

import org.apache.calcite.rel.type.RelDataTypeSystem;
import org.apache.calcite.rel.type.RelDataTypeSystemImpl;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Calcite's type system, except that a TIMESTAMP may have nine fractional digits. Calcite's own limit is
 * three: it rounded {@code TIMESTAMP '2024-01-15 10:00:00.197233475'} to the millisecond while parsing, so
 * no later step could compare Rerun's nanosecond times with it exactly. Columns stay TIMESTAMP(3), the
 * precision of Calcite's row engine; the scan and the batch engine read a literal's every digit
 * ({@link RerunSqlTypes#epochNanos}).
 */
public final class RerunTypeSystem extends RelDataTypeSystemImpl {
  /** What Calcite's connection property {@code typeSystem} instantiates. */
  public static final RelDataTypeSystem INSTANCE = new RerunTypeSystem();

  private RerunTypeSystem() {}

  @Override
  public int getMaxPrecision(SqlTypeName typeName) {
    return typeName == SqlTypeName.TIMESTAMP ? 9 : super.getMaxPrecision(typeName);
  }
}
