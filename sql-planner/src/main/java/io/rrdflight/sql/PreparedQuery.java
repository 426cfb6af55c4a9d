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
import org.apache.calcite.adapter.enumerable.EnumerableLimit;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rex.RexLiteral;

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
        throw new SqlQueryException("Closing query failed: " + e.getMessage(), e);
      }
    }
  }

  /** The columnar plan: one scan, its output names, and a row limit (-1 = none). */
  private record DirectScan(RerunTable table, RerunScanSpec spec, List<String> names, long limit) {}

  private final String sql;
  private final Statement cached;
  private final Semaphore cachedFree = new Semaphore(1);
  private final Function<String, Statement> fresh;
  private final Schema resultSchema;
  private final Schema parameterSchema;
  private final Optional<DirectScan> direct;
  private volatile boolean retired;

  PreparedQuery(String sql, Connection connection, java.sql.PreparedStatement statement, RelRoot plan, Function<String, Statement> fresh)
      throws SQLException {
    this.sql = requireNonNull(sql, "sql is null");
    this.cached = new Statement(requireNonNull(connection, "connection is null"), requireNonNull(statement, "statement is null"));
    this.fresh = requireNonNull(fresh, "fresh is null");
    this.parameterSchema = parameterSchemaOf(statement.getParameterMetaData());
    this.direct = parameterSchema.getFields().isEmpty() ? directScanOf(plan) : Optional.empty();
    this.resultSchema = direct.map(d -> d.table().arrowSchema(d.spec(), d.names())).orElse(resultSchemaOf(statement.getMetaData()));
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
    return direct.isPresent();
  }

  /** Runs the query; close the returned batches when done. */
  public ResultBatches execute(List<?> parameters, BufferAllocator allocator, int batchRows) {
    requireNonNull(parameters, "parameters is null");
    requireNonNull(allocator, "allocator is null");
    if (parameters.size() != parameterSchema.getFields().size()) {
      throw new SqlQueryException("Query has " + parameterSchema.getFields().size() + " parameters but "
          + parameters.size() + " values were bound");
    }
    if (direct.isPresent()) {
      DirectScan d = direct.get();
      try {
        return d.table().open(d.spec(), d.names(), allocator, batchRows, d.limit());
      } catch (RuntimeException e) {
        throw new SqlQueryException(SqlEngine.rootMessage(e), e);
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
      throw new SqlQueryException(SqlEngine.rootMessage(e), e);
    }
  }

  private void releaseCached() {
    cachedFree.release();
    if (retired && cachedFree.tryAcquire()) {
      cached.close();
    }
  }

  /** Called by the cache when it drops this query: closes now, or when the running execution ends. */
  void retire() {
    retired = true;
    if (cachedFree.tryAcquire()) {
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

  private static Optional<DirectScan> directScanOf(RelRoot root) {
    if (root == null || !root.isRefTrivial()) {
      return Optional.empty();
    }
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
