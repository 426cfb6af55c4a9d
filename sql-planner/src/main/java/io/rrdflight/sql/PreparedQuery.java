package io.rrdflight.sql;

import static java.util.Objects.requireNonNull;

import io.rrdflight.sql.rerun.RerunScanSpec;
import io.rrdflight.sql.rerun.RerunTable;
import io.rrdflight.sql.rerun.RerunTableScan;
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
import io.rrdflight.sql.rerun.RerunRules;
import org.apache.calcite.adapter.enumerable.EnumerableCalc;
import org.apache.calcite.adapter.enumerable.EnumerableFilter;
import org.apache.calcite.adapter.enumerable.EnumerableLimit;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexProgram;

/**
 * A planned query: its result and parameter schemas, executable many times with bound parameters.
 * A plan that is a single {@link RerunTableScan} (after the pushdown rules, maybe under a LIMIT) runs
 * on the columnar path, streaming Arrow batches straight from the chunks with Rerun's own column
 * types; any other plan runs in Calcite's row engine and is copied into Arrow.
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

  /** The columnar plan: one scan, its output names, and a row limit (-1 = none). */
  private record DirectScan(RerunTable table, RerunScanSpec spec, List<String> names, long limit) {}

  private final String sql;
  private final Statement cached;
  private final Semaphore cachedFree = new Semaphore(1);
  private final Function<String, Statement> fresh;
  private final Function<String, PreparedQuery> planner;
  /** A filter with {@code ?} over one scan: executions plan the text with the values written in, and run as a scan. */
  private final Optional<DirectScan> parameterisedScan;
  /** {@code ?} among query_view's arguments: executions plan the text with the values written in (whatever the plan). */
  private final boolean bindsByText;
  private final Schema resultSchema;
  private final Schema parameterSchema;
  private final Optional<DirectScan> direct;
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
    boolean parameters = !parameterSchema.getFields().isEmpty();
    this.direct = parameters ? Optional.empty() : directScanOf(plan);
    this.parameterisedScan = parameters ? parameterisedScanOf(plan) : Optional.empty();
    this.bindsByText = false;
    this.columnarTemplate = false;
    this.resultSchema = direct.or(() -> parameterisedScan).map(d -> d.table().arrowSchema(d.spec(), d.names()))
        .orElse(resultSchemaOf(statement.getMetaData()));
  }

  private PreparedQuery(String sql, Schema resultSchema, Schema parameterSchema, boolean columnar, Function<String, PreparedQuery> planner) {
    this.sql = requireNonNull(sql, "sql is null");
    this.cached = null;
    this.fresh = null;
    this.planner = requireNonNull(planner, "planner is null");
    this.resultSchema = requireNonNull(resultSchema, "resultSchema is null");
    this.parameterSchema = requireNonNull(parameterSchema, "parameterSchema is null");
    this.direct = Optional.empty();
    this.parameterisedScan = Optional.empty();
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

  /** True when executions stream straight from the chunks (no row-at-a-time engine). */
  public boolean isColumnar() {
    return direct.isPresent() || parameterisedScan.isPresent() || columnarTemplate;
  }

  /** Runs the query; close the returned batches when done. */
  public ResultBatches execute(List<?> parameters, BufferAllocator allocator, int batchRows) {
    requireNonNull(parameters, "parameters is null");
    requireNonNull(allocator, "allocator is null");
    if (parameters.size() != parameterSchema.getFields().size()) {
      throw new SqlQueryException("Query has " + parameterSchema.getFields().size() + " parameters but "
          + parameters.size() + " values were bound");
    }
    if (parameterisedScan.isPresent() || bindsByText) {
      return bound(parameters).execute(List.of(), allocator, batchRows);
    }
    if (direct.isPresent()) {
      DirectScan d = direct.get();
      try {
        return d.table().open(d.spec(), d.names(), allocator, batchRows, d.limit());
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
   * How the query splits into slices that can run apart (on other threads, other servers): present
   * when it runs as one scan without a row limit over two or more partitions. Each slice is
   * {@link #executePartitions} of the split's SQL on some of its partitions; the slices' rows, in
   * the order of {@link Split#partitionIds()}, are the query's rows. Sorted, aggregated, joined or
   * limited queries never split: their rows depend on every partition at once.
   */
  public Optional<Split> split(List<?> parameters) {
    requireNonNull(parameters, "parameters is null");
    if (parameterisedScan.isPresent() || bindsByText) {
      return bound(parameters).split(List.of());
    }
    return direct.filter(d -> d.limit() < 0)
        .map(d -> new Split(sql, d.table().partitions(d.spec()).stream().map(io.rrdflight.catalog.Partition::partitionId).toList()))
        .filter(s -> s.partitionIds().size() > 1);
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
   * split's SQL); ids the query does not read add nothing.
   */
  public ResultBatches executePartitions(java.util.SortedSet<String> partitionIds, BufferAllocator allocator, int batchRows) {
    requireNonNull(partitionIds, "partitionIds is null");
    requireNonNull(allocator, "allocator is null");
    DirectScan d = direct.filter(s -> s.limit() < 0).orElseThrow(() -> new SqlQueryException(
        "This query does not run as one scan without a row limit, so it cannot run by partition: " + sql));
    try {
      return d.table().open(d.spec().withPartitions(partitionIds), d.names(), allocator, batchRows, -1);
    } catch (RuntimeException e) {
      throw SqlQueryException.wrapping(SqlEngine.rootMessage(e), e);
    }
  }

  /** This statement with {@code parameters} written in as literals, planned: its filters are pushed into the scan. */
  private PreparedQuery bound(List<?> parameters) {
    String literal = SqlParameters.inline(sql, parameters).orElseThrow(() -> new SqlQueryException(
        "A bound value has no SQL literal form (strings, numbers, booleans, timestamps and bytes do): " + parameters));
    PreparedQuery bound = planner.apply(literal);
    if ((parameterisedScan.isPresent() && !bound.isColumnar()) || !bound.resultSchema().equals(resultSchema)) {
      // Planning promised these columns (and, for a filter over a scan, a scan); say so rather than return others.
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

  private static Optional<DirectScan> directScanOf(RelRoot planned) {
    if (planned == null || !planned.isRefTrivial()) {
      return Optional.empty();
    }
    RelRoot root = planned.withRel(QueryCheckpoint.strip(planned.rel));
    RelNode rel = root.rel;
    long limit = -1;
    if (rel instanceof EnumerableLimit l && l.offset == null && l.fetch instanceof RexLiteral fetch) {
      limit = fetch.getValueAs(Long.class);
      rel = l.getInput();
    }
    if (!(rel instanceof RerunTableScan scan) || !root.collation.getFieldCollations().isEmpty()) {
      return Optional.empty();
    }
    List<String> names = new ArrayList<>();
    for (java.util.Map.Entry<Integer, String> f : root.fields) {
      names.add(f.getValue());
    }
    return Optional.of(new DirectScan(scan.rerunTable(), scan.spec(), names, limit));
  }

  /**
   * A filter whose every conjunct RerunRules pushes into the scan once its parameters are literals,
   * over one scan (as an EnumerableCalc with column projections, or an EnumerableFilter).
   */
  private static Optional<DirectScan> parameterisedScanOf(RelRoot planned) {
    if (planned == null || !planned.isRefTrivial() || !planned.collation.getFieldCollations().isEmpty()) {
      return Optional.empty();
    }
    RelRoot root = planned.withRel(QueryCheckpoint.strip(planned.rel));
    RexNode condition;
    RerunTableScan scan;
    RerunScanSpec spec;
    if (root.rel instanceof EnumerableCalc calc && calc.getInput() instanceof RerunTableScan s && calc.getProgram().getCondition() != null) {
      RexProgram program = calc.getProgram();
      int[] columns = new int[program.getProjectList().size()];
      for (int i = 0; i < columns.length; i++) {
        if (!(program.expandLocalRef(program.getProjectList().get(i)) instanceof RexInputRef ref)) {
          return Optional.empty();
        }
        columns[i] = ref.getIndex();
      }
      condition = program.expandLocalRef(program.getCondition());
      scan = s;
      spec = s.spec().withProjection(columns);
    } else if (root.rel instanceof EnumerableFilter filter && filter.getInput() instanceof RerunTableScan s) {
      condition = filter.getCondition();
      scan = s;
      spec = s.spec();
    } else {
      return Optional.empty();
    }
    if (!RerunRules.pushableOnceBound(condition, scan)) {
      return Optional.empty();
    }
    List<String> names = new ArrayList<>();
    for (java.util.Map.Entry<Integer, String> f : root.fields) {
      names.add(f.getValue());
    }
    return Optional.of(new DirectScan(scan.rerunTable(), spec, names, -1));
  }

  private static Schema resultSchemaOf(ResultSetMetaData md) throws SQLException {
    List<Field> fields = new ArrayList<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      boolean nullable = md.isNullable(i) != ResultSetMetaData.columnNoNulls;
      fields.add(new Field(md.getColumnLabel(i),
          new FieldType(nullable, ArrowSqlTypes.toArrow(md.getColumnType(i), md.getPrecision(i), md.getScale(i)), null),
          null));
    }
    return new Schema(fields);
  }

  private static Schema parameterSchemaOf(ParameterMetaData md) throws SQLException {
    List<Field> fields = new ArrayList<>();
    for (int i = 1; i <= md.getParameterCount(); i++) {
      fields.add(new Field("parameter_" + i,
          FieldType.nullable(ArrowSqlTypes.toArrow(md.getParameterType(i), md.getPrecision(i), md.getScale(i))), null));
    }
    return new Schema(fields);
  }
}
