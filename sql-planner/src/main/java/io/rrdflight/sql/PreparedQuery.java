package io.rrdflight.sql;

import java.sql.Connection;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** A planned query: its result and parameter schemas, executable with bound parameters. */
public final class PreparedQuery implements AutoCloseable {
  private final String sql;
  private final Connection connection;
  private final PreparedStatement statement;
  private final Schema resultSchema;
  private final Schema parameterSchema;

  PreparedQuery(String sql, Connection connection, PreparedStatement statement) throws SQLException {
    this.sql = Objects.requireNonNull(sql, "sql is null");
    this.connection = Objects.requireNonNull(connection, "connection is null");
    this.statement = Objects.requireNonNull(statement, "statement is null");
    this.resultSchema = resultSchemaOf(statement.getMetaData());
    this.parameterSchema = parameterSchemaOf(statement.getParameterMetaData());
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

  /**
   * Runs the query. The JDBC statement is not thread-safe, so executions of one prepared query are
   * serialised; the returned batches must be closed before the next execution starts.
   */
  public synchronized ResultBatches execute(List<?> parameters, BufferAllocator allocator, int batchRows) {
    Objects.requireNonNull(parameters, "parameters is null");
    Objects.requireNonNull(allocator, "allocator is null");
    if (parameters.size() != parameterSchema.getFields().size()) {
      throw new SqlQueryException("Query has " + parameterSchema.getFields().size() + " parameters but "
          + parameters.size() + " values were bound");
    }
    try {
      for (int i = 0; i < parameters.size(); i++) {
        statement.setObject(i + 1, parameters.get(i));
      }
      ResultSet rs = statement.executeQuery();
      return new ResultBatches(rs, resultSchema, allocator, batchRows);
    } catch (SQLException | RuntimeException e) {
      throw new SqlQueryException(SqlEngine.rootMessage(e), e);
    }
  }

  @Override
  public void close() {
    try {
      statement.close();
      connection.close();
    } catch (SQLException e) {
      throw new SqlQueryException("Closing query failed: " + e.getMessage(), e);
    }
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
