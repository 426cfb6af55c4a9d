package io.rrdflight.server.flightsql;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.rrdflight.sql.PreparedQuery;
import io.rrdflight.sql.SqlEngine;
import io.rrdflight.sql.SqlQueryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SchemaResult;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.sql.NoOpFlightSqlProducer;
import org.apache.arrow.flight.sql.SqlInfoBuilder;
import org.apache.arrow.flight.sql.impl.FlightSql;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;

/**
 * The Flight SQL front door. A thin dispatcher: each command goes to the {@link SqlEngine}, and
 * this class only encodes the answers. Commands not overridden here answer UNIMPLEMENTED.
 */
public final class RrdflightSqlProducer extends NoOpFlightSqlProducer {
  /** Rows per Arrow batch sent to clients: large enough to amortise per-batch costs, small enough to bound memory. */
  static final int BATCH_ROWS = 65_536;

  private final BufferAllocator allocator;
  private final SqlEngine engine;
  private final PreparedStatements statements = new PreparedStatements();
  private final BatchStreamer streamer;
  private final SqlInfoBuilder sqlInfo;

  public RrdflightSqlProducer(BufferAllocator allocator, SqlEngine engine, ExecutorService streamExecutor, String serverVersion) {
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.engine = requireNonNull(engine, "engine is null");
    this.streamer = new BatchStreamer(requireNonNull(streamExecutor, "streamExecutor is null"));
    this.sqlInfo = new SqlInfoBuilder()
        .withFlightSqlServerName("rrdflight")
        .withFlightSqlServerVersion(requireNonNull(serverVersion, "serverVersion is null"))
        .withFlightSqlServerArrowVersion("18.3.0")
        .withFlightSqlServerReadOnly(true)
        .withFlightSqlServerSql(true)
        .withFlightSqlServerSubstrait(false)
        .withFlightSqlServerTransaction(FlightSql.SqlSupportedTransaction.SQL_SUPPORTED_TRANSACTION_NONE)
        .withFlightSqlServerCancel(false)
        .withSqlIdentifierQuoteChar("\"")
        .withSqlIdentifierCase(FlightSql.SqlSupportedCaseSensitivity.SQL_CASE_SENSITIVITY_CASE_INSENSITIVE)
        .withSqlQuotedIdentifierCase(FlightSql.SqlSupportedCaseSensitivity.SQL_CASE_SENSITIVITY_CASE_INSENSITIVE);
  }

  // --- statements -------------------------------------------------------------------------

  @Override
  public FlightInfo getFlightInfoStatement(FlightSql.CommandStatementQuery command, CallContext context, FlightDescriptor descriptor) {
    Schema schema = withPrepared(command.getQuery(), PreparedQuery::resultSchema);
    // The ticket carries the SQL itself, so a DoGet needs no server-side state.
    FlightSql.TicketStatementQuery ticket = FlightSql.TicketStatementQuery.newBuilder()
        .setStatementHandle(ByteString.copyFromUtf8(command.getQuery()))
        .build();
    return flightInfo(schema, descriptor, Any.pack(ticket).toByteArray());
  }

  @Override
  public SchemaResult getSchemaStatement(FlightSql.CommandStatementQuery command, CallContext context, FlightDescriptor descriptor) {
    return new SchemaResult(withPrepared(command.getQuery(), PreparedQuery::resultSchema));
  }

  @Override
  public void getStreamStatement(FlightSql.TicketStatementQuery ticket, CallContext context, ServerStreamListener listener) {
    PreparedQuery query;
    try {
      query = engine.prepare(ticket.getStatementHandle().toStringUtf8());
    } catch (SqlQueryException e) {
      listener.error(invalid(e));
      return;
    }
    streamer.stream(listener, () -> query.execute(List.of(), allocator, BATCH_ROWS), query::close);
  }

  // --- prepared statements (the JDBC driver runs every query as one) ----------------------

  @Override
  public void createPreparedStatement(FlightSql.ActionCreatePreparedStatementRequest request, CallContext context, StreamListener<Result> listener) {
    try {
      PreparedQuery query = engine.prepare(request.getQuery());
      ByteString handle = statements.add(query);
      FlightSql.ActionCreatePreparedStatementResult result = FlightSql.ActionCreatePreparedStatementResult.newBuilder()
          .setPreparedStatementHandle(handle)
          .setDatasetSchema(ipcBytes(query.resultSchema()))
          .setParameterSchema(ipcBytes(query.parameterSchema()))
          .build();
      listener.onNext(new Result(Any.pack(result).toByteArray()));
      listener.onCompleted();
    } catch (SqlQueryException e) {
      listener.onError(invalid(e));
    }
  }

  @Override
  public void closePreparedStatement(FlightSql.ActionClosePreparedStatementRequest request, CallContext context, StreamListener<Result> listener) {
    statements.close(request.getPreparedStatementHandle());
    listener.onCompleted();
  }

  @Override
  public FlightInfo getFlightInfoPreparedStatement(FlightSql.CommandPreparedStatementQuery command, CallContext context, FlightDescriptor descriptor) {
    PreparedStatements.Entry entry = statements.get(command.getPreparedStatementHandle());
    return flightInfo(entry.query.resultSchema(), descriptor, Any.pack(command).toByteArray());
  }

  @Override
  public SchemaResult getSchemaPreparedStatement(FlightSql.CommandPreparedStatementQuery command, CallContext context, FlightDescriptor descriptor) {
    return new SchemaResult(statements.get(command.getPreparedStatementHandle()).query.resultSchema());
  }

  @Override
  public void getStreamPreparedStatement(FlightSql.CommandPreparedStatementQuery command, CallContext context, ServerStreamListener listener) {
    PreparedStatements.Entry entry = statements.get(command.getPreparedStatementHandle());
    List<Object> parameters = entry.parameters;
    streamer.stream(listener, () -> entry.query.execute(parameters, allocator, BATCH_ROWS), () -> { });
  }

  @Override
  public Runnable acceptPutPreparedStatementQuery(FlightSql.CommandPreparedStatementQuery command, CallContext context, FlightStream flightStream, StreamListener<PutResult> ackStream) {
    PreparedStatements.Entry entry = statements.get(command.getPreparedStatementHandle());
    return () -> {
      List<Object> values = List.of();
      while (flightStream.next()) {
        VectorSchemaRoot root = flightStream.getRoot();
        if (root.getRowCount() > 0) {
          values = firstRow(root);
        }
      }
      entry.parameters = values;
      ackStream.onCompleted();
    };
  }

  // --- metadata ------------------------------------------------------------------------------

  @Override
  public FlightInfo getFlightInfoSqlInfo(FlightSql.CommandGetSqlInfo request, CallContext context, FlightDescriptor descriptor) {
    return flightInfo(Schemas.GET_SQL_INFO_SCHEMA, descriptor, Any.pack(request).toByteArray());
  }

  @Override
  public void getStreamSqlInfo(FlightSql.CommandGetSqlInfo command, CallContext context, ServerStreamListener listener) {
    sqlInfo.send(command.getInfoList(), listener);
  }

  @Override
  public FlightInfo getFlightInfoTableTypes(FlightSql.CommandGetTableTypes request, CallContext context, FlightDescriptor descriptor) {
    return flightInfo(Schemas.GET_TABLE_TYPES_SCHEMA, descriptor, Any.pack(request).toByteArray());
  }

  @Override
  public void getStreamTableTypes(CallContext context, ServerStreamListener listener) {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(Schemas.GET_TABLE_TYPES_SCHEMA, allocator)) {
      VarCharVector types = (VarCharVector) root.getVector("table_type");
      types.setSafe(0, new Text("TABLE"));
      root.setRowCount(1);
      listener.start(root);
      listener.putNext();
      listener.completed();
    }
  }

  @Override
  public void close() throws Exception {
    statements.close();
  }

  // --- encoding helpers ------------------------------------------------------------------------

  private <T> T withPrepared(String sql, java.util.function.Function<PreparedQuery, T> read) {
    try (PreparedQuery query = engine.prepare(sql)) {
      return read.apply(query);
    } catch (SqlQueryException e) {
      throw invalid(e);
    }
  }

  private static FlightInfo flightInfo(Schema schema, FlightDescriptor descriptor, byte[] ticket) {
    // An endpoint without locations means "fetch from the server you asked".
    return new FlightInfo(schema, descriptor, List.of(new FlightEndpoint(new Ticket(ticket))), -1, -1);
  }

  private static RuntimeException invalid(SqlQueryException e) {
    return CallStatus.INVALID_ARGUMENT.withDescription(e.getMessage()).withCause(e).toRuntimeException();
  }

  /** A schema as an Arrow IPC message, the form Flight SQL uses for dataset and parameter schemas. */
  private static ByteString ipcBytes(Schema schema) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), schema);
    } catch (IOException e) {
      throw new IllegalStateException("Serialising a schema to memory cannot fail", e);
    }
    return ByteString.copyFrom(out.toByteArray());
  }

  private static List<Object> firstRow(VectorSchemaRoot root) {
    List<Object> values = new ArrayList<>();
    for (FieldVector vector : root.getFieldVectors()) {
      Object value = vector.getObject(0);
      if (value instanceof Text text) {
        value = text.toString();
      } else if (value instanceof LocalDateTime time) {
        value = java.sql.Timestamp.valueOf(time);
      }
      values.add(value);
    }
    return values;
  }
}
