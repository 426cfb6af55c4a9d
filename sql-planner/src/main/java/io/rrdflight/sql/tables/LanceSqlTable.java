package io.rrdflight.sql.tables;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.LanceTables;
import io.rrdflight.catalog.Table;
import io.rrdflight.sql.QueryContext;
import io.rrdflight.sql.calcite.RerunSqlTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.DataContext;
import org.apache.calcite.linq4j.AbstractEnumerable;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Enumerator;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.schema.ProjectableFilterableTable;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.sql.SqlKind;

/**
 * A table entry (a Lance table) as an SQL table, added to the root schema so that it is queried by
 * its plain name ({@code SELECT * FROM labels}) and joined with dataset tables. Calcite hands the
 * scan the columns it needs and the filters; comparisons of a column with a literal
 * ({@code =, <>, <, <=, >, >=}), boolean columns and NOT of them, combined with AND and OR, are pushed into Lance's scan and taken off Calcite's hands,
 * the rest Calcite applies. Rows stream in batches of {@link #BATCH_ROWS}.
 */
public final class LanceSqlTable extends AbstractTable implements ProjectableFilterableTable {
  static final int BATCH_ROWS = 4096;
  /** Column names Lance's filter parser takes as written (it lower-cases unquoted identifiers). */
  private static final Pattern PLAIN_NAME = Pattern.compile("[a-z_][a-z0-9_]*");

  private final Table table;
  private final LanceTables tables;
  private final BufferAllocator allocator;
  private Schema schema;

  public LanceSqlTable(Table table, LanceTables tables, BufferAllocator allocator) {
    this.table = requireNonNull(table, "table is null");
    this.tables = requireNonNull(tables, "tables is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
  }

  private synchronized Schema schema() {
    if (schema == null) {
      schema = tables.schema(table);
    }
    return schema;
  }

  @Override
  public RelDataType getRowType(RelDataTypeFactory f) {
    RelDataTypeFactory.Builder row = f.builder();
    for (Field field : schema().getFields()) {
      row.add(field.getName(), RerunSqlTypes.tableColumnType(f, field));
    }
    return row.build();
  }

  @Override
  public Enumerable<Object[]> scan(DataContext root, List<RexNode> filters, int[] projects) {
    List<Field> fields = schema().getFields();
    List<String> columns = new ArrayList<>();
    if (projects == null) {
      fields.forEach(field -> columns.add(field.getName()));
    } else {
      for (int p : projects) {
        columns.add(fields.get(p).getName());
      }
    }
    List<String> pushed = new ArrayList<>();
    for (Iterator<RexNode> it = filters.iterator(); it.hasNext(); ) {
      Optional<String> predicate = lancePredicate(it.next(), fields);
      if (predicate.isPresent()) {
        pushed.add(predicate.get());
        it.remove();
      }
    }
    Optional<String> filter = pushed.isEmpty() ? Optional.empty() : Optional.of(String.join(" AND ", pushed));
    QueryContext context = QueryContext.current();
    return new AbstractEnumerable<>() {
      @Override
      public Enumerator<Object[]> enumerator() {
        return new Rows(tables.scan(table, allocator, columns, filter, BATCH_ROWS), context);
      }
    };
  }

  /** The Lance form of a filter Calcite would otherwise apply, when it has an exact one. */
  static Optional<String> lancePredicate(RexNode node, List<Field> fields) {
    if (node instanceof RexInputRef ref) {
      return booleanColumn(ref, fields, true); // WHERE flag
    }
    if (!(node instanceof RexCall call)) {
      return Optional.empty();
    }
    if (call.getKind() == SqlKind.NOT && call.getOperands().get(0) instanceof RexInputRef ref) {
      return booleanColumn(ref, fields, false); // NOT flag: null stays out on both sides
    }
    if (call.getKind() == SqlKind.AND || call.getKind() == SqlKind.OR) {
      List<String> parts = new ArrayList<>();
      for (RexNode operand : call.getOperands()) {
        Optional<String> part = lancePredicate(operand, fields);
        if (part.isEmpty()) {
          return Optional.empty();
        }
        parts.add(part.get());
      }
      return Optional.of("(" + String.join(call.getKind() == SqlKind.AND ? " AND " : " OR ", parts) + ")");
    }
    String op = switch (call.getKind()) {
      case EQUALS -> "=";
      case NOT_EQUALS -> "<>";
      case LESS_THAN -> "<";
      case LESS_THAN_OR_EQUAL -> "<=";
      case GREATER_THAN -> ">";
      case GREATER_THAN_OR_EQUAL -> ">=";
      default -> null;
    };
    if (op == null || call.getOperands().size() != 2) {
      return Optional.empty();
    }
    RexNode left = call.getOperands().get(0);
    RexNode right = call.getOperands().get(1);
    if (left instanceof RexLiteral && right instanceof RexInputRef) {
      return Optional.empty(); // Calcite puts the column first in what it pushes; keep the rule simple
    }
    if (!(left instanceof RexInputRef ref) || !(right instanceof RexLiteral literal)) {
      return Optional.empty();
    }
    Field field = fields.get(ref.getIndex());
    if (!PLAIN_NAME.matcher(field.getName()).matches()) {
      return Optional.empty();
    }
    return literal(literal, field.getType()).map(value -> field.getName() + " " + op + " " + value);
  }

  private static Optional<String> booleanColumn(RexInputRef ref, List<Field> fields, boolean value) {
    Field field = fields.get(ref.getIndex());
    if (!(field.getType() instanceof ArrowType.Bool) || !PLAIN_NAME.matcher(field.getName()).matches()) {
      return Optional.empty();
    }
    return Optional.of(field.getName() + " = " + value);
  }

  private static Optional<String> literal(RexLiteral literal, ArrowType columnType) {
    if (literal.isNull()) {
      return Optional.empty();
    }
    return switch (columnType.getTypeID()) {
      case Int, FloatingPoint -> {
        BigDecimal v = literal.getValueAs(BigDecimal.class);
        yield v == null ? Optional.empty() : Optional.of(v.toPlainString());
      }
      case Utf8, LargeUtf8 -> {
        String v = literal.getValueAs(String.class);
        yield v == null ? Optional.empty() : Optional.of("'" + v.replace("'", "''") + "'");
      }
      case Bool -> {
        Boolean v = literal.getValueAs(Boolean.class);
        yield v == null ? Optional.empty() : Optional.of(v.toString());
      }
      default -> Optional.empty();
    };
  }

  /** Rows of one Lance scan as Calcite's row engine holds them. */
  private static final class Rows implements Enumerator<Object[]> {
    private final LanceTables.Rows rows;
    private final QueryContext context;
    private int row = -1;
    private Object[] current;

    Rows(LanceTables.Rows rows, QueryContext context) {
      this.rows = rows;
      this.context = context;
    }

    @Override
    public Object[] current() {
      return current;
    }

    @Override
    public boolean moveNext() {
      context.check();
      try {
        VectorSchemaRoot root = rows.reader().getVectorSchemaRoot();
        while (row + 1 >= root.getRowCount()) {
          if (!rows.reader().loadNextBatch()) {
            return false;
          }
          row = -1;
        }
        row++;
        List<FieldVector> vectors = root.getFieldVectors();
        Object[] values = new Object[vectors.size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = value(vectors.get(i), row);
        }
        current = values;
        return true;
      } catch (IOException e) {
        throw new UncheckedIOException("reading a table", e);
      }
    }

    private static Object value(FieldVector v, int row) {
      if (v.isNull(row)) {
        return null;
      }
      if (v instanceof TimeStampVector t) {
        long raw = t.get(row);
        return switch (((ArrowType.Timestamp) t.getField().getType()).getUnit()) {
          case SECOND -> raw * 1000;
          case MILLISECOND -> raw;
          case MICROSECOND -> Math.floorDiv(raw, 1000L);
          case NANOSECOND -> Math.floorDiv(raw, 1_000_000L);
        };
      }
      return RerunSqlTypes.toSqlValue(v.getObject(row), v.getField());
    }

    @Override
    public void reset() {
      throw new UnsupportedOperationException("a table scan cannot be rewound");
    }

    @Override
    public void close() {
      rows.close();
    }
  }
}
