package io.rrdflight.sql;

import static java.util.Objects.requireNonNull;

import io.rrdflight.sql.calcite.ArrowExecution;
import io.rrdflight.sql.calcite.RerunSqlTypes;
import io.rrdflight.sql.calcite.ArrowRel;
import io.rrdflight.sql.calcite.ArrowFilter;
import io.rrdflight.sql.calcite.ArrowProject;
import io.rrdflight.sql.calcite.ArrowToEnumerableConverter;
import io.rrdflight.sql.calcite.RerunTableScan;
import java.sql.Connection;
import java.sql.ParameterMetaData;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.rel.RelRoot;

/**
 * A planned query: its result and parameter schemas, executable many times with bound parameters
 * (bound at execution: the plan does not change with them). A plan whose root is in the Arrow
 * convention ({@link ArrowRel}: scans, filters, projections, aggregates, sorts) streams its batches
 * with Rerun's own column types; any other plan runs in Calcite's row engine, its Arrow subtrees
 * turned into rows by {@link ArrowToEnumerableConverter}, and is copied into Arrow.
 *
 * <p>Owned by the {@link SqlEngine}'s plan cache and shared between clients: a row-path execution
 * that finds the cached statement busy runs on a fresh one.
 */
public final class PreparedQuery {
  /** A Calcite statement and its connection. */
  record Statement(Connection connection, java.sql.PreparedStatement statement) implements AutoCloseable {
    @Override
    public void close() {
      try {
        statement.close();
        connection.close();
      } catch (SQLException e) {
        throw SqlQueryException.wrapping("Closing query failed: " + e.getMessage(), e);
      }
    }
  }

  private final String sql;
  private final Statement cached;
  private final Semaphore cachedFree = new Semaphore(1);
  private final Function<String, Statement> fresh;
  private final Function<String, PreparedQuery> planner;
  /** {@code ?} among query_view's arguments: executions plan the text with the values written in (whatever the plan). */
  private final boolean bindsByText;
  private final Schema resultSchema;
  private final Schema parameterSchema;
  /** The plan when it runs on batches from its root. */
  private final Optional<ArrowRel> arrow;
  /** For an Arrow plan: which of its columns the statement returns (ORDER BY may add hidden ones). */
  private final int[] columns;
  private volatile boolean retired;
  /** For a statement bound by text: whether its template streams from the chunks. */
  private final boolean columnarTemplate;

  /**
   * @param fresh a new Calcite statement for the same SQL (when the cached one is busy)
   * @param planner plans another SQL text, as the engine does (with its cache)
   */
  PreparedQuery(String sql, Connection connection, java.sql.PreparedStatement statement, RelRoot plan, Function<String, Statement> fresh,
      Function<String, PreparedQuery> planner) throws SQLException {
    this.sql = requireNonNull(sql, "sql is null");
    this.cached = new Statement(requireNonNull(connection, "connection is null"), requireNonNull(statement, "statement is null"));
    this.fresh = requireNonNull(fresh, "fresh is null");
    this.planner = requireNonNull(planner, "planner is null");
    this.parameterSchema = parameterSchemaOf(statement.getParameterMetaData());
    this.arrow = arrowPlanOf(plan);
    this.columns = arrow.isPresent() ? plan.fields.stream().mapToInt(java.util.Map.Entry::getKey).toArray() : new int[0];
    this.bindsByText = false;
    this.columnarTemplate = false;
    this.resultSchema = arrow.isPresent() ? rootSchema(arrow.get().arrowSchema(), plan) : resultSchemaOf(statement.getMetaData());
  }

  private PreparedQuery(String sql, Schema resultSchema, Schema parameterSchema, boolean columnar, Function<String, PreparedQuery> planner) {
    this.sql = requireNonNull(sql, "sql is null");
    this.cached = null;
    this.fresh = null;
    this.planner = requireNonNull(planner, "planner is null");
    this.resultSchema = requireNonNull(resultSchema, "resultSchema is null");
    this.parameterSchema = requireNonNull(parameterSchema, "parameterSchema is null");
    this.arrow = Optional.empty();
    this.columns = new int[0];
    this.bindsByText = true;
    this.columnarTemplate = columnar;
  }

  /**
   * A statement whose every execution is planned from its text with the values written in: the
   * columns are {@code template}'s (the same statement with the defaults in place of the
   * placeholders that stand for query_view arguments).
   */
  static PreparedQuery boundByText(String sql, PreparedQuery template, Schema parameterSchema, Function<String, PreparedQuery> planner) {
    return new PreparedQuery(sql, template.resultSchema(), parameterSchema, template.isColumnar(), planner);
  }

  public String sql() {
    return sql;
  }

  public Schema resultSchema() {
    return resultSchema;
  }

  public Schema parameterSchema() {
    return parameterSchema;
  }

  /** True when executions run on Arrow batches from the scans to the result (no row-at-a-time engine). */
  public boolean isColumnar() {
    return arrow.isPresent() || columnarTemplate;
  }

  /** Runs the query; close the returned batches when done. */
  public ResultBatches execute(List<?> parameters, BufferAllocator allocator, int batchRows) {
    requireNonNull(parameters, "parameters is null");
    requireNonNull(allocator, "allocator is null");
    if (parameters.size() != parameterSchema.getFields().size()) {
      throw new SqlQueryException("Query has " + parameterSchema.getFields().size() + " parameters but "
          + parameters.size() + " values were bound");
    }
    requireBindable(parameters);
    if (bindsByText) {
      return bound(parameters).execute(List.of(), allocator, batchRows);
    }
    if (arrow.isPresent()) {
      try {
        ResultBatches batches = arrow.get().open(new ArrowExecution(allocator, batchRows, new ArrayList<>(parameters), QueryContext.current()));
        return RootBatches.of(batches, columns, resultSchema, allocator);
      } catch (QueryAbortedException e) {
        throw e;
      } catch (RuntimeException e) {
        throw SqlQueryException.wrapping(SqlEngine.rootMessage(e), e);
      }
    }
    boolean useCached = !retired && cachedFree.tryAcquire();
    Statement statement = useCached ? cached : fresh.apply(sql);
    Runnable release = useCached ? this::releaseCached : statement::close;
    try {
      for (int i = 0; i < parameters.size(); i++) {
        statement.statement().setObject(i + 1, parameters.get(i));
      }
      ResultSet rs = statement.statement().executeQuery();
      return new Releasing(new RowResultBatches(rs, resultSchema, allocator, batchRows), release);
    } catch (SQLException | RuntimeException e) {
      release.run();
      throw SqlQueryException.wrapping(SqlEngine.rootMessage(e), e);
    }
  }

  /**
   * Refuses a value of the wrong kind for its parameter (a text for a BIGINT, say): Calcite's generated
   * code would cast it and fail with a ClassCastException, which reaches the client as an internal
   * error. Names the parameter and the kinds, never the value.
   */
  private void requireBindable(List<?> parameters) {
    for (int i = 0; i < parameters.size(); i++) {
      Object value = parameters.get(i);
      org.apache.arrow.vector.types.pojo.ArrowType type = parameterSchema.getFields().get(i).getType();
      String wanted = switch (type.getTypeID()) {
        case Int, FloatingPoint, Decimal -> value instanceof Number ? null : "a number";
        case Bool -> value instanceof Boolean ? null : "a boolean";
        // A time, or a number of milliseconds as Calcite's own TIMESTAMP value.
        case Timestamp -> value instanceof java.util.Date || value instanceof java.time.temporal.Temporal || value instanceof Number
            ? null : "a timestamp";
        default -> null;
      };
      if (value != null && wanted != null) {
        throw new SqlQueryException("Parameter " + (i + 1) + " is bound to a " + value.getClass().getSimpleName()
            + " value, but the query wants " + wanted + " there (" + type + ")");
      }
    }
  }

  /**
   * How the query splits into slices that can run apart (on other threads, other servers): present
   * when its Arrow plan is one scan, under filters and projections only, over two or more
   * partitions. Each slice is {@link #executePartitions} of the split's SQL on some of its
   * partitions; the slices' rows, in the order of {@link Split#partitionIds()}, are the query's rows.
   * Sorted, aggregated, joined or limited queries never split: their rows depend on every partition.
   */
  public Optional<Split> split(List<?> parameters) {
    requireNonNull(parameters, "parameters is null");
    if (bindsByText || !parameters.isEmpty()) {
      requireBindable(parameters); // before the values are written into SQL text
      // The slices' tickets carry SQL alone: the values are written in.
      return bound(parameters).split(List.of());
    }
    return arrow.flatMap(PreparedQuery::scanOfSlices)
        .map(scan -> new Split(sql, scan.rerunTable().partitions(scan.spec()).stream().map(io.rrdflight.catalog.Partition::partitionId).toList()))
        .filter(s -> s.partitionIds().size() > 1);
  }

  /** The scan under a plan whose rows are the scan's rows, filtered and projected row by row; else empty. */
  private static Optional<RerunTableScan> scanOfSlices(ArrowRel rel) {
    if (rel instanceof RerunTableScan scan) {
      return scan.spec().countOnly() ? Optional.empty() : Optional.of(scan); // one row for all partitions
    }
    if ((rel instanceof ArrowFilter || rel instanceof ArrowProject)
        && ((org.apache.calcite.rel.SingleRel) rel).getInput() instanceof ArrowRel input) {
      return scanOfSlices(input);
    }
    return Optional.empty();
  }

  /**
   * A query's slices: {@code sql} has no parameters (bound values are written in), so a slice is
   * fully described by that text and its partition ids.
   */
  public record Split(String sql, List<String> partitionIds) {
    public Split {
      requireNonNull(sql, "sql is null");
      partitionIds = List.copyOf(partitionIds);
    }
  }

  /**
   * Runs the rows of {@code partitionIds} only: one slice of a query that {@link #split}s (its
   * split's SQL); partitions of the dataset that the query does not read add nothing, and an id that
   * is no partition of the dataset is NOT_FOUND (a {@link io.rrdflight.catalog.CatalogException}).
   */
  public ResultBatches executePartitions(java.util.SortedSet<String> partitionIds, BufferAllocator allocator, int batchRows) {
    requireNonNull(partitionIds, "partitionIds is null");
    requireNonNull(allocator, "allocator is null");
    RerunTableScan scan = arrow.flatMap(PreparedQuery::scanOfSlices).orElseThrow(() ->
        new SqlQueryException("This query does not run as one scan without a row limit, so it cannot run by partition: " + sql));
    scan.rerunTable().requirePartitions(partitionIds);
    try {
      ResultBatches batches = arrow.get().open(new ArrowExecution(allocator, batchRows, List.of(), QueryContext.current(),
          Optional.of(partitionIds)));
      return RootBatches.of(batches, columns, resultSchema, allocator);
    } catch (QueryAbortedException e) {
      throw e;
    } catch (RuntimeException e) {
      throw SqlQueryException.wrapping(SqlEngine.rootMessage(e), e);
    }
  }

  /** This statement with {@code parameters} written in as literals, planned (query_view's arguments must be literals). */
  private PreparedQuery bound(List<?> parameters) {
    String literal = SqlParameters.inline(sql, parameters).orElseThrow(() -> new SqlQueryException(
        "A bound value has no SQL literal form (strings, numbers, booleans, timestamps and bytes do): " + parameters));
    PreparedQuery bound = planner.apply(literal);
    if (!bound.resultSchema().equals(resultSchema)) {
      // Planning promised these columns; say so rather than return others.
      throw new SqlQueryException("Internal error: with its values written in, the query planned to other columns or not as a scan: "
          + literal);
    }
    return bound;
  }

  private void releaseCached() {
    cachedFree.release();
    if (cached == null) {
      return;
    }
    if (retired && cachedFree.tryAcquire()) {
      cached.close();
    }
  }

  /** Called by the cache when it drops this query: closes now, or when the running execution ends. */
  void retire() {
    retired = true;
    if (cached != null && cachedFree.tryAcquire()) {
      cached.close();
    }
  }

  /** Batches that hand their statement back when closed. */
  private record Releasing(ResultBatches inner, Runnable release) implements ResultBatches {
    @Override
    public VectorSchemaRoot root() {
      return inner.root();
    }

    @Override
    public boolean next() {
      return inner.next();
    }

    @Override
    public void close() {
      try {
        inner.close();
      } finally {
        release.run();
      }
    }
  }

  /**
   * The Arrow plan when the planner put the whole query in the Arrow convention: its root is then
   * the one converter to Calcite's rows, which the engine skips. The statement's columns are some
   * of the plan's, each at most once (RelRoot names and picks them).
   */
  private static Optional<ArrowRel> arrowPlanOf(RelRoot planned) {
    if (planned == null || !(QueryCheckpoint.strip(planned.rel) instanceof ArrowToEnumerableConverter converter)) {
      return Optional.empty();
    }
    long distinct = planned.fields.stream().mapToInt(java.util.Map.Entry::getKey).distinct().count();
    return distinct == planned.fields.size() ? Optional.of(converter.arrowPlan()) : Optional.empty();
  }

  /** The statement's columns of the plan's {@code schema}, under the statement's names (aliases the plan may not carry). */
  private static Schema rootSchema(Schema schema, RelRoot root) {
    List<Field> fields = new ArrayList<>();
    for (java.util.Map.Entry<Integer, String> column : root.fields) {
      Field f = schema.getFields().get(column.getKey());
      fields.add(new Field(column.getValue(), f.getFieldType(), f.getChildren()));
    }
    return new Schema(fields);
  }

  private static Schema resultSchemaOf(ResultSetMetaData md) throws SQLException {
    List<Field> fields = new ArrayList<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      boolean nullable = md.isNullable(i) != ResultSetMetaData.columnNoNulls;
      fields.add(new Field(md.getColumnLabel(i),
          new FieldType(nullable, RerunSqlTypes.toArrow(md.getColumnType(i), md.getPrecision(i), md.getScale(i)), null),
          null));
    }
    return new Schema(fields);
  }

  private static Schema parameterSchemaOf(ParameterMetaData md) throws SQLException {
    List<Field> fields = new ArrayList<>();
    for (int i = 1; i <= md.getParameterCount(); i++) {
      fields.add(new Field("parameter_" + i,
          FieldType.nullable(RerunSqlTypes.toArrow(md.getParameterType(i), md.getPrecision(i), md.getScale(i))), null));
    }
    return new Schema(fields);
  }
}
