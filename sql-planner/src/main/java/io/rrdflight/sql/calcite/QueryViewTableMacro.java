package io.rrdflight.sql.calcite;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.EntityPathFilter;
import io.rrdflight.sql.SqlQueryException;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.sql.engine.QueryView;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.schema.FunctionParameter;
import org.apache.calcite.schema.TableMacro;
import org.apache.calcite.schema.TranslatableTable;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlDynamicParam;
import org.apache.calcite.sql.SqlFunction;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.parser.SqlParseException;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.util.SqlBasicVisitor;

/**
 * {@code query_view(index, contents, partition_ids, range_start, range_end, fill_latest_at)}: the
 * SQL form of Rerun's {@code dataframe_query_view(index=, contents=)} with
 * {@code filter_partition_id}, {@code filter_range_nanos} and {@code fill_latest_at}. Arguments
 * must be literals (they decide the table's columns); {@code partition_ids} is a comma-separated
 * list, the range is inclusive and in the index's raw unit (nanoseconds for time timelines).
 */
public final class QueryViewTableMacro implements TableMacro {
  public static final String NAME = "query_view";

  /** Java-typed, so Calcite hands literal arguments to {@link #apply} as String, Long and Boolean. */
  private record Param(String name, Class<?> type, boolean optional) {}

  private static final List<Param> PARAMS = List.of(
      new Param("index", String.class, false),
      new Param("contents", String.class, true),
      new Param("partition_ids", String.class, true),
      new Param("range_start", Long.class, true),
      new Param("range_end", Long.class, true),
      new Param("fill_latest_at", Boolean.class, true));

  /** What a {@code ?} argument may stand for, with the type its value has; index and contents decide the columns. */
  private static final Map<String, ArrowType> BINDABLE = Map.of(
      "partition_ids", ArrowType.Utf8.INSTANCE,
      "range_start", new ArrowType.Int(64, true),
      "range_end", new ArrowType.Int(64, true),
      "fill_latest_at", ArrowType.Bool.INSTANCE);

  /**
   * The {@code ?} placeholders that stand for arguments of {@code query_view} calls in
   * {@code sql}: placeholder index (in text order) → argument name. Calcite's table macros take
   * literals only, so the engine plans such a statement with the values written in. Empty when
   * there are none or the text does not parse (planning then reports the error).
   */
  public static Map<Integer, String> placeholderArguments(String sql, SqlParser.Config parser) {
    Map<Integer, String> found = new TreeMap<>();
    SqlNode parsed;
    try {
      parsed = SqlParser.create(sql, parser).parseStmt();
    } catch (SqlParseException e) {
      return found;
    }
    parsed.accept(new SqlBasicVisitor<Void>() {
      @Override
      public Void visit(SqlCall call) {
        if (call.getOperator() instanceof SqlFunction f && f.getName().equalsIgnoreCase(NAME)) {
          List<SqlNode> operands = call.getOperandList();
          for (int i = 0; i < operands.size(); i++) {
            SqlNode operand = operands.get(i);
            String name = i < PARAMS.size() ? PARAMS.get(i).name() : "argument " + (i + 1);
            if (operand instanceof SqlCall assign && assign.getKind() == SqlKind.ARGUMENT_ASSIGNMENT) {
              name = assign.operand(1).toString().toLowerCase(Locale.ROOT);
              operand = assign.operand(0);
            }
            if (operand instanceof SqlDynamicParam p) {
              found.put(p.getIndex(), name);
            }
          }
        }
        return super.visit(call);
      }
    });
    return found;
  }

  /** The Arrow type of a value bound to argument {@code name}; fails for the arguments that must be literals. */
  public static ArrowType placeholderType(String name) {
    ArrowType type = BINDABLE.get(name);
    if (type == null) {
      throw new SqlQueryException("query_view: " + name + " must be a literal (it decides the columns); ? can stand for "
          + new TreeSet<>(BINDABLE.keySet()));
    }
    return type;
  }

  private final RerunDatasetSchema dataset;

  public QueryViewTableMacro(RerunDatasetSchema dataset) {
    this.dataset = requireNonNull(dataset, "dataset is null");
  }

  @Override
  public List<FunctionParameter> getParameters() {
    List<FunctionParameter> out = new ArrayList<>();
    for (int i = 0; i < PARAMS.size(); i++) {
      Param p = PARAMS.get(i);
      int ordinal = i;
      out.add(new FunctionParameter() {
        @Override
        public int getOrdinal() {
          return ordinal;
        }

        @Override
        public String getName() {
          return p.name();
        }

        @Override
        public RelDataType getType(RelDataTypeFactory f) {
          return f.createTypeWithNullability(((org.apache.calcite.adapter.java.JavaTypeFactory) f).createType(p.type()), true);
        }

        @Override
        public boolean isOptional() {
          return p.optional();
        }
      });
    }
    return out;
  }

  @Override
  public TranslatableTable apply(List<? extends Object> arguments) {
    String index = (String) arguments.get(0);
    if (index == null) {
      throw new SqlQueryException("query_view needs an index timeline, e.g. query_view(index => 'log_time')");
    }
    String contents = arguments.size() > 1 && arguments.get(1) != null ? (String) arguments.get(1) : "/**";
    Optional<java.util.SortedSet<String>> ids = Optional.empty();
    if (arguments.size() > 2 && arguments.get(2) != null) {
      TreeSet<String> set = new TreeSet<>();
      for (String id : ((String) arguments.get(2)).split(",")) {
        if (!id.isBlank()) {
          set.add(id.trim());
        }
      }
      ids = Optional.of(set);
    }
    long start = arguments.size() > 3 && arguments.get(3) != null ? ((Number) arguments.get(3)).longValue() : IndexRange.EVERYTHING.min();
    long end = arguments.size() > 4 && arguments.get(4) != null ? ((Number) arguments.get(4)).longValue() : IndexRange.EVERYTHING.max();
    boolean fill = arguments.size() > 5 && Boolean.TRUE.equals(arguments.get(5));
    if (start > end) {
      throw new SqlQueryException("query_view: range_start " + start + " is after range_end " + end);
    }
    EntityPathFilter filter;
    try {
      filter = EntityPathFilter.parse(contents);
    } catch (CatalogException e) {
      throw new SqlQueryException("query_view: " + e.getMessage(), e);
    }
    QueryView view = new QueryView(Optional.of(index), filter, ids, new IndexRange(Math.max(start, IndexRange.EVERYTHING.min()), end), fill);
    try {
      return dataset.table(view);
    } catch (IllegalArgumentException e) {
      throw new SqlQueryException("query_view: " + e.getMessage(), e);
    }
  }
}
