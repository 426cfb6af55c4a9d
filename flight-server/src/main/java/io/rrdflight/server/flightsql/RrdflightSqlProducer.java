package io.rrdflight.server.flightsql;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.rrdflight.server.QueryAdmission;
import io.rrdflight.server.ServerLimits;
import io.rrdflight.sql.PreparedQuery;
import io.rrdflight.sql.SqlEngine;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;

/**
 * The Flight SQL front door. A thin dispatcher: each command goes to the {@link SqlEngine}, and
 * this class only encodes the answers. Commands not overridden here answer UNIMPLEMENTED.
 */
public final class RrdflightSqlProducer extends NoOpFlightSqlProducer {
  /** Rows per Arrow batch sent to clients: large enough to amortise per-batch costs, small enough to bound memory. */
  static final int BATCH_ROWS = 65_536;
  /** Endpoints of one split query at most: partitions beyond are grouped, consecutive ones together. */
  static final int MAX_ENDPOINTS = 256;

  private final BufferAllocator allocator;
  private final SqlEngine engine;
  private final ServerLimits limits;
  private final PreparedStatements statements;
  private final Executions executions = new Executions(ServerLimits.MAX_PENDING_EXECUTIONS);
  private final BatchStreamer streamer;
  private final SqlInfoBuilder sqlInfo;
  private final MetadataTables metadata;
  private final Optional<TableIngest> ingest;
  private final SliceRuns slices = new SliceRuns();
  private final EndpointPlacement placement;
  private final io.rrdflight.server.QueryShares shares;

  public RrdflightSqlProducer(BufferAllocator allocator, SqlEngine engine, ExecutorService streamExecutor, String serverVersion) {
    this(allocator, engine, streamExecutor, serverVersion, ServerLimits.DEFAULTS);
  }

  /** @param limits query timeout, memory budget, admission, SQL length (see {@link ServerLimits}) */
  public RrdflightSqlProducer(BufferAllocator allocator, SqlEngine engine, ExecutorService streamExecutor, String serverVersion,
      ServerLimits limits) {
    this(allocator, engine, streamExecutor, serverVersion, limits, new QueryAdmission(limits), Optional.empty(), EndpointPlacement.SAME_SERVER);
  }

  /**
   * @param admission the server's one admission, shared with the Rerun door's QueryDataset and FindChunks streams
   * @param tables where bulk ingestion writes table entries; without it ingestion is refused
   * @param placement where the endpoints of a split query are served (a fleet's live nodes)
   */
  public RrdflightSqlProducer(BufferAllocator allocator, SqlEngine engine, ExecutorService streamExecutor, String serverVersion,
      ServerLimits limits, QueryAdmission admission, Optional<io.rrdflight.catalog.Catalog> tables, EndpointPlacement placement) {
    this.ingest = requireNonNull(tables, "tables is null").map(c -> new TableIngest(c, allocator, requireNonNull(admission, "admission is null")));
    this.placement = requireNonNull(placement, "placement is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.engine = requireNonNull(engine, "engine is null");
    this.limits = requireNonNull(limits, "limits is null");
    this.statements = new PreparedStatements(ServerLimits.MAX_PREPARED_STATEMENTS, ServerLimits.PREPARED_STATEMENT_IDLE);
    this.streamer = new BatchStreamer(requireNonNull(streamExecutor, "streamExecutor is null"), allocator, admission);
    this.shares = new io.rrdflight.server.QueryShares(admission, limits);
    this.metadata = new MetadataTables(engine, allocator);
    this.sqlInfo = new SqlInfoBuilder()
        .withFlightSqlServerName("rrdflight")
        .withFlightSqlServerVersion(requireNonNull(serverVersion, "serverVersion is null"))
        .withFlightSqlServerArrowVersion("18.3.0")
        .withFlightSqlServerReadOnly(tables.isEmpty())
        .withFlightSqlServerSql(true)
        .withFlightSqlServerSubstrait(false)
        .withFlightSqlServerTransaction(FlightSql.SqlSupportedTransaction.SQL_SUPPORTED_TRANSACTION_NONE)
        .withFlightSqlServerCancel(true)
        .withFlightSqlServerBulkIngestion(tables.isPresent())
        .withSqlIdentifierQuoteChar("\"")
        .withSqlIdentifierCase(FlightSql.SqlSupportedCaseSensitivity.SQL_CASE_SENSITIVITY_CASE_INSENSITIVE)
        .withSqlQuotedIdentifierCase(FlightSql.SqlSupportedCaseSensitivity.SQL_CASE_SENSITIVITY_CASE_INSENSITIVE)
        // A dataset is a catalog; its one schema is "rerun" (see RerunDatasetSchema).
        .withSqlCatalogTerm("dataset")
        .withSqlSchemaTerm("schema")
        .withSqlProcedureTerm("procedure")
        .withSqlCatalogAtStart(true)
        .withSqlSearchStringEscape("\\")
        .withSqlExtraNameCharacters("")
        .withSqlDdlCatalog(false)
        .withSqlDdlSchema(false)
        .withSqlDdlTable(false)
        .withSqlAllTablesAreSelectable(true)
        .withSqlSupportsColumnAliasing(true)
        .withSqlNullPlusNullIsNull(true)
        .withSqlSupportsTableCorrelationNames(true)
        .withSqlSupportsDifferentTableCorrelationNames(false)
        .withSqlSupportsExpressionsInOrderBy(true)
        .withSqlSupportsOrderByUnrelated(true)
        .withSqlSupportsLikeEscapeClause(true)
        .withSqlSupportsNonNullableColumns(true)
        .withSqlSupportsIntegrityEnhancementFacility(false)
        .withSqlSelectForUpdateSupported(false)
        .withSqlStoredProceduresSupported(false)
        .withSqlCorrelatedSubqueriesSupported(true)
        .withSqlTransactionsSupported(false)
        .withSqlBatchUpdatesSupported(false)
        .withSqlSavepointsSupported(false)
        .withSqlNamedParametersSupported(false)
        .withSqlNullOrdering(FlightSql.SqlNullOrdering.SQL_NULLS_SORTED_HIGH)
        .withSqlSupportedGroupBy(FlightSql.SqlSupportedGroupBy.SQL_GROUP_BY_UNRELATED)
        .withSqlSupportedGrammar(FlightSql.SupportedSqlGrammar.SQL_CORE_GRAMMAR)
        .withSqlAnsi92SupportedLevel(FlightSql.SupportedAnsi92SqlGrammarLevel.ANSI92_ENTRY_SQL)
        .withSqlOuterJoinSupportLevel(FlightSql.SqlOuterJoinsSupportLevel.SQL_FULL_OUTER_JOINS)
        .withSqlSubQueriesSupported(FlightSql.SqlSupportedSubqueries.SQL_SUBQUERIES_IN_COMPARISONS,
            FlightSql.SqlSupportedSubqueries.SQL_SUBQUERIES_IN_EXISTS, FlightSql.SqlSupportedSubqueries.SQL_SUBQUERIES_IN_INS)
        .withSqlSupportedUnions(FlightSql.SqlSupportedUnions.SQL_UNION, FlightSql.SqlSupportedUnions.SQL_UNION_ALL)
        .withSqlMaxColumnNameLength(1024)
        .withSqlMaxTableNameLength(1024)
        .withSqlMaxCatalogNameLength(1024)
        .withSqlDbSchemaNameLength(1024)
        .withSqlMaxStatementLength(limits.maxSqlChars())
        .withSqlKeywords(new String[] {"QUERY_VIEW"})
        .withSqlNumericFunctions(new String[] {"ABS", "CEIL", "FLOOR", "MOD", "POWER", "ROUND", "SQRT"})
        .withSqlStringFunctions(new String[] {"CHAR_LENGTH", "LOWER", "UPPER", "SUBSTRING", "TRIM", "POSITION"})
        .withSqlSystemFunctions(new String[] {})
        .withSqlDatetimeFunctions(new String[] {"CURRENT_TIMESTAMP", "EXTRACT", "FLOOR", "CEIL"});
  }

  /**
   * Waits for the upload's schema before Flight SQL's dispatch waits for its descriptor: Arrow's
   * FlightStream fails the schema, never the descriptor, when the upload fails or is cancelled before its
   * first message, so a wait on the descriptor alone never ended ({@link UploadsWithoutMessages}).
   */
  @Override
  public Runnable acceptPut(CallContext context, FlightStream flightStream, StreamListener<PutResult> ackStream) {
    flightStream.getRoot();
    return super.acceptPut(context, flightStream, ackStream);
  }

  // --- statements -------------------------------------------------------------------------

  @Override
  public FlightInfo getFlightInfoStatement(FlightSql.CommandStatementQuery command, CallContext context, FlightDescriptor descriptor) {
    if (SqlEngine.insert(command.getQuery()).isPresent()) {
      throw insertAsQuery();
    }
    PreparedQuery query = prepare(command.getQuery());
    return executionInfo(query, List.of(), descriptor);
  }

  @Override
  public SchemaResult getSchemaStatement(FlightSql.CommandStatementQuery command, CallContext context, FlightDescriptor descriptor) {
    return new SchemaResult(withPrepared(command.getQuery(), PreparedQuery::resultSchema));
  }

  /**
   * Flight SQL's dispatcher reports a ticket that is not a protobuf Any as an unexplained INTERNAL
   * error; a malformed ticket is the client's fault.
   */
  @Override
  public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
    try {
      Any.parseFrom(ticket.getBytes());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      listener.error(FlightErrors.of(e, "DoGet"));
      return;
    }
    super.getStream(context, ticket, listener);
  }

  @Override
  public void getStreamStatement(FlightSql.TicketStatementQuery ticket, CallContext context, ServerStreamListener listener) {
    ByteString handle = ticket.getStatementHandle();
    if (SliceTicket.isSlice(handle)) {
      streamSlice(handle, listener);
      return;
    }
    Executions.Execution execution = executions.get(handle);
    if (execution == null) {
      listener.error(CallStatus.NOT_FOUND.withDescription("Unknown, finished or expired query ticket").toRuntimeException());
      return;
    }
    streamer.stream(listener, queryAllocator -> execution.query.execute(execution.parameters, queryAllocator, BATCH_ROWS),
        execution::started, () -> executions.remove(handle));
  }

  /**
   * One slice of a split query, from its self-contained ticket: planned here (the plan cache makes
   * that cheap after the first slice) and run on the ticket's partitions, with the caller's role.
   */
  private void streamSlice(ByteString handle, ServerStreamListener listener) {
    SliceTicket slice;
    PreparedQuery query;
    try {
      slice = SliceTicket.decode(handle);
      query = prepare(slice.sql());
    } catch (RuntimeException e) {
      listener.error(FlightErrors.of(e, "DoGet"));
      return;
    }
    java.util.concurrent.atomic.AtomicReference<io.rrdflight.sql.QueryContext> context = new java.util.concurrent.atomic.AtomicReference<>();
    streamer.stream(listener, abandoned -> shares.admit(slice.executionId(), slice.index(), allocator, abandoned),
        queryAllocator -> query.executePartitions(slice.partitionIds(), queryAllocator, BATCH_ROWS), c -> {
      context.set(c);
      slices.started(slice.executionId(), c);
    }, () -> {
      if (context.get() != null) {
        slices.finished(slice.executionId(), context.get());
      }
    });
  }

  /**
   * A query that splits by partition gets one endpoint per partition, at most {@link #MAX_ENDPOINTS}
   * and at most half of --max-calls-per-connection per serving node (beyond that, consecutive
   * partitions are grouped). The second bound is for clients that open every endpoint at once on one
   * connection and read them in order (ADBC): calls beyond the connection's limit wait in the client
   * in an order of its own, and endpoint 0 must not wait behind later ones that wait to be read; the
   * other half is for the client's other calls on that connection. Each has a self-contained {@link SliceTicket}
   * placed by the {@link EndpointPlacement}; clients read them in parallel and the rows, endpoint
   * after endpoint, are the query's. The slices of one query that reach one server are one query
   * there ({@link io.rrdflight.server.QueryShares}): one admission slot and budget, --query-workers
   * slices at a time. Any other query gets one endpoint naming a new execution on this server.
   */
  private FlightInfo executionInfo(PreparedQuery query, List<Object> parameters, FlightDescriptor descriptor) {
    java.util.Optional<PreparedQuery.Split> split;
    try {
      split = query.split(parameters);
    } catch (RuntimeException e) {
      split = java.util.Optional.empty(); // e.g. a value with no SQL literal: the execution reports it as before
    }
    if (split.isPresent()) {
      return slicedInfo(query.resultSchema(), split.get(), descriptor);
    }
    return singleExecutionInfo(query, parameters, descriptor);
  }

  private FlightInfo slicedInfo(Schema schema, PreparedQuery.Split split, FlightDescriptor descriptor) {
    java.util.UUID execution = java.util.UUID.randomUUID();
    List<String> ids = split.partitionIds();
    long perNode = Math.max(1, limits.maxCallsPerConnection() / 2);
    int count = (int) Math.min(Math.min(ids.size(), MAX_ENDPOINTS), placement.nodes() * perNode);
    List<FlightEndpoint> endpoints = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      List<String> group = ids.subList((int) ((long) ids.size() * i / count), (int) ((long) ids.size() * (i + 1) / count));
      ByteString handle = new SliceTicket(execution, i, split.sql(), new java.util.TreeSet<>(group)).encode();
      Ticket ticket = new Ticket(Any.pack(FlightSql.TicketStatementQuery.newBuilder().setStatementHandle(handle).build()).toByteArray());
      endpoints.add(new FlightEndpoint(ticket, placement.locations(i, count).toArray(new org.apache.arrow.flight.Location[0])));
    }
    // ordered: the rows of endpoint i come before those of endpoint i+1, as in the unsplit answer.
    return FlightInfo.builder(schema, descriptor, endpoints).setOrdered(true).build();
  }

  /** A FlightInfo whose one ticket names a new execution, so it can be cancelled on its own. */
  private FlightInfo singleExecutionInfo(PreparedQuery query, List<Object> parameters, FlightDescriptor descriptor) {
    FlightSql.TicketStatementQuery ticket = FlightSql.TicketStatementQuery.newBuilder()
        .setStatementHandle(executions.add(query, parameters))
        .build();
    return flightInfo(query.resultSchema(), descriptor, Any.pack(ticket).toByteArray());
  }

  // --- cancellation --------------------------------------------------------------------------

  @Override
  public void cancelFlightInfo(org.apache.arrow.flight.CancelFlightInfoRequest request, CallContext context,
      StreamListener<org.apache.arrow.flight.CancelStatus> listener) {
    listener.onNext(cancel(request.getInfo()) ? org.apache.arrow.flight.CancelStatus.CANCELLED
        : org.apache.arrow.flight.CancelStatus.NOT_CANCELLABLE);
    listener.onCompleted();
  }

  @Override
  @SuppressWarnings("deprecation")
  public void cancelQuery(FlightInfo info, CallContext context, StreamListener<org.apache.arrow.flight.sql.CancelResult> listener) {
    listener.onNext(cancel(info) ? org.apache.arrow.flight.sql.CancelResult.CANCELLED : org.apache.arrow.flight.sql.CancelResult.NOT_CANCELLABLE);
    listener.onCompleted();
  }

  /** Cancels every execution the FlightInfo's tickets name; a running one stops at its next row or batch. */
  private boolean cancel(FlightInfo info) {
    boolean any = false;
    for (FlightEndpoint endpoint : info.getEndpoints()) {
      try {
        Any any1 = Any.parseFrom(endpoint.getTicket().getBytes());
        if (any1.is(FlightSql.TicketStatementQuery.class)) {
          ByteString handle = any1.unpack(FlightSql.TicketStatementQuery.class).getStatementHandle();
          any |= SliceTicket.isSlice(handle) ? slices.cancel(SliceTicket.decode(handle).executionId()) : executions.cancel(handle);
        }
      } catch (com.google.protobuf.InvalidProtocolBufferException | io.grpc.StatusRuntimeException e) {
        // Not one of our tickets: nothing to cancel.
      }
    }
    return any;
  }

  // --- prepared statements (the JDBC driver runs every query as one) ----------------------

  @Override
  public void createPreparedStatement(FlightSql.ActionCreatePreparedStatementRequest request, CallContext context, StreamListener<Result> listener) {
    try {
      // INSERT INTO table query (what JDBC's executeUpdate prepares): the query is planned now, run on execution.
      Optional<SqlEngine.Insert> insert = SqlEngine.insert(request.getQuery());
      PreparedQuery query = prepare(insert.map(SqlEngine.Insert::query).orElse(request.getQuery()));
      ByteString handle = statements.add(query, insert.map(SqlEngine.Insert::table));
      // ipcBytes of an empty schema would still be a schema message; clients expect that.
      FlightSql.ActionCreatePreparedStatementResult result = FlightSql.ActionCreatePreparedStatementResult.newBuilder()
          .setPreparedStatementHandle(handle)
          .setDatasetSchema(ipcBytes(insert.isPresent() ? new Schema(List.of()) : query.resultSchema()))
          .setParameterSchema(ipcBytes(query.parameterSchema()))
          .build();
      listener.onNext(new Result(Any.pack(result).toByteArray()));
      listener.onCompleted();
    } catch (RuntimeException e) {
      listener.onError(FlightErrors.of(e, "Planning"));
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
    if (entry.insertInto.isPresent()) {
      throw insertAsQuery(); // run as a query, it answered the rows it would insert and inserted nothing
    }
    return executionInfo(entry.query, entry.parameters, descriptor);
  }

  /** An INSERT sent as a query: refused, naming how each client runs an update. */
  private static RuntimeException insertAsQuery() {
    return io.grpc.Status.INVALID_ARGUMENT.withDescription("INSERT INTO … is an update, not a query: run it with executeUpdate "
        + "(JDBC), or cursor.executemany / the statement's execute_update (ADBC)").asRuntimeException();
  }

  @Override
  public SchemaResult getSchemaPreparedStatement(FlightSql.CommandPreparedStatementQuery command, CallContext context, FlightDescriptor descriptor) {
    return new SchemaResult(statements.get(command.getPreparedStatementHandle()).query.resultSchema());
  }

  @Override
  public void getStreamPreparedStatement(FlightSql.CommandPreparedStatementQuery command, CallContext context, ServerStreamListener listener) {
    PreparedStatements.Entry entry = statements.get(command.getPreparedStatementHandle());
    List<Object> parameters = entry.parameters;
    streamer.stream(listener, queryAllocator -> entry.query.execute(parameters, queryAllocator, BATCH_ROWS), started -> { }, () -> { });
  }

  @Override
  public Runnable acceptPutPreparedStatementQuery(FlightSql.CommandPreparedStatementQuery command, CallContext context, FlightStream flightStream, StreamListener<PutResult> ackStream) {
    PreparedStatements.Entry entry = statements.get(command.getPreparedStatementHandle());
    return () -> {
      try {
        List<List<Object>> rows = boundRows(flightStream, 1);
        entry.parameters = rows.isEmpty() ? List.of() : rows.get(0);
        ackStream.onCompleted();
      } catch (RuntimeException e) {
        ackStream.onError(FlightErrors.of(e, "Bind"));
      }
    };
  }

  /** The most parameter rows one update binds (JDBC's executeBatch, ADBC's executemany): each runs the INSERT's query once. */
  static final int MAX_UPDATE_PARAMETER_ROWS = 65_536;

  /**
   * Every row of parameters the client sent, at most {@code max}: INVALID_ARGUMENT beyond, where
   * the rows past the first used to be dropped without a word.
   */
  private static List<List<Object>> boundRows(FlightStream stream, int max) {
    List<List<Object>> rows = new ArrayList<>();
    while (stream.next()) {
      VectorSchemaRoot root = stream.getRoot();
      for (int i = 0; i < root.getRowCount(); i++) {
        if (rows.size() == max) {
          throw io.grpc.Status.INVALID_ARGUMENT.withDescription(max == 1
              ? "A query binds one row of parameters; run it once per row (INSERT takes many, as an update)"
              : "An update binds at most " + max + " rows of parameters; load more rows with bulk ingestion").asRuntimeException();
        }
        rows.add(row(root, i));
      }
    }
    return rows;
  }

  @Override
  public Runnable acceptPutPreparedStatementUpdate(FlightSql.CommandPreparedStatementUpdate command, CallContext context,
      FlightStream flightStream, StreamListener<PutResult> ackStream) {
    PreparedStatements.Entry entry = statements.get(command.getPreparedStatementHandle());
    if (entry.insertInto.isEmpty()) {
      throw io.grpc.Status.INVALID_ARGUMENT.withDescription("Only INSERT INTO table … updates anything here; run queries with executeQuery")
          .asRuntimeException();
    }
    TableIngest tables = writableTables();
    return () -> {
      List<List<Object>> rows;
      try {
        rows = boundRows(flightStream, MAX_UPDATE_PARAMETER_ROWS);
      } catch (RuntimeException e) {
        ackStream.onError(FlightErrors.of(e, "Insert"));
        return;
      }
      // The parameters come with the update (JDBC's executeUpdate and executeBatch, ADBC's executemany); a
      // client that bound them beforehand sends none here.
      tables.insert(entry.insertInto.get(), entry.query, rows.isEmpty() ? List.of(entry.parameters) : rows, ackStream).run();
    };
  }

  @Override
  public Runnable acceptPutStatement(FlightSql.CommandStatementUpdate command, CallContext context, FlightStream flightStream,
      StreamListener<PutResult> ackStream) {
    SqlEngine.Insert insert = SqlEngine.insert(command.getQuery()).orElseThrow(() -> io.grpc.Status.INVALID_ARGUMENT
        .withDescription("Only INSERT INTO table … updates anything here; run queries with executeQuery").asRuntimeException());
    return writableTables().insert(insert.table(), prepare(insert.query()), List.of(List.of()), ackStream);
  }

  /** Table writes, for writers only (DoPut itself is a reader's call: it also binds parameters). */
  private TableIngest writableTables() {
    if (ingest.isEmpty()) {
      throw io.grpc.Status.UNIMPLEMENTED.withDescription("This server writes no tables").asRuntimeException();
    }
    io.rrdflight.server.auth.Caller caller = io.rrdflight.server.auth.Caller.current();
    if (!caller.canWrite()) {
      throw io.grpc.Status.PERMISSION_DENIED.withDescription("Writing a table needs the writer role; "
          + caller.name() + " is a " + caller.role().label()).asRuntimeException();
    }
    return ingest.get();
  }

  @Override
  public Runnable acceptPutStatementBulkIngest(FlightSql.CommandStatementIngest command, CallContext context, FlightStream flightStream,
      StreamListener<PutResult> ackStream) {
    return writableTables().accept(command, flightStream, ackStream);
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
  public FlightInfo getFlightInfoCatalogs(FlightSql.CommandGetCatalogs request, CallContext context, FlightDescriptor descriptor) {
    return flightInfo(Schemas.GET_CATALOGS_SCHEMA, descriptor, Any.pack(request).toByteArray());
  }

  @Override
  public void getStreamCatalogs(CallContext context, ServerStreamListener listener) {
    metadata.catalogs(listener);
  }

  @Override
  public FlightInfo getFlightInfoSchemas(FlightSql.CommandGetDbSchemas request, CallContext context, FlightDescriptor descriptor) {
    return flightInfo(Schemas.GET_SCHEMAS_SCHEMA, descriptor, Any.pack(request).toByteArray());
  }

  @Override
  public void getStreamSchemas(FlightSql.CommandGetDbSchemas command, CallContext context, ServerStreamListener listener) {
    metadata.schemas(command, listener);
  }

  @Override
  public FlightInfo getFlightInfoTables(FlightSql.CommandGetTables request, CallContext context, FlightDescriptor descriptor) {
    Schema schema = request.getIncludeSchema() ? Schemas.GET_TABLES_SCHEMA : Schemas.GET_TABLES_SCHEMA_NO_SCHEMA;
    return flightInfo(schema, descriptor, Any.pack(request).toByteArray());
  }

  @Override
  public void getStreamTables(FlightSql.CommandGetTables command, CallContext context, ServerStreamListener listener) {
    metadata.tables(command, listener);
  }

  @Override
  public FlightInfo getFlightInfoTypeInfo(FlightSql.CommandGetXdbcTypeInfo request, CallContext context, FlightDescriptor descriptor) {
    return flightInfo(Schemas.GET_TYPE_INFO_SCHEMA, descriptor, Any.pack(request).toByteArray());
  }

  @Override
  public void getStreamTypeInfo(FlightSql.CommandGetXdbcTypeInfo request, CallContext context, ServerStreamListener listener) {
    metadata.typeInfo(request, listener);
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

  // Datasets have no keys. DBeaver asks for them whenever it shows a table, and an error there
  // reads like a broken connection, so the answer is an empty result, not UNIMPLEMENTED.

  @Override
  public FlightInfo getFlightInfoPrimaryKeys(FlightSql.CommandGetPrimaryKeys request, CallContext context, FlightDescriptor descriptor) {
    return flightInfo(Schemas.GET_PRIMARY_KEYS_SCHEMA, descriptor, Any.pack(request).toByteArray());
  }

  @Override
  public void getStreamPrimaryKeys(FlightSql.CommandGetPrimaryKeys command, CallContext context, ServerStreamListener listener) {
    metadata.empty(Schemas.GET_PRIMARY_KEYS_SCHEMA, listener);
  }

  @Override
  public FlightInfo getFlightInfoExportedKeys(FlightSql.CommandGetExportedKeys request, CallContext context, FlightDescriptor descriptor) {
    return flightInfo(Schemas.GET_EXPORTED_KEYS_SCHEMA, descriptor, Any.pack(request).toByteArray());
  }

  @Override
  public void getStreamExportedKeys(FlightSql.CommandGetExportedKeys command, CallContext context, ServerStreamListener listener) {
    metadata.empty(Schemas.GET_EXPORTED_KEYS_SCHEMA, listener);
  }

  @Override
  public FlightInfo getFlightInfoImportedKeys(FlightSql.CommandGetImportedKeys request, CallContext context, FlightDescriptor descriptor) {
    return flightInfo(Schemas.GET_IMPORTED_KEYS_SCHEMA, descriptor, Any.pack(request).toByteArray());
  }

  @Override
  public void getStreamImportedKeys(FlightSql.CommandGetImportedKeys command, CallContext context, ServerStreamListener listener) {
    metadata.empty(Schemas.GET_IMPORTED_KEYS_SCHEMA, listener);
  }

  @Override
  public FlightInfo getFlightInfoCrossReference(FlightSql.CommandGetCrossReference request, CallContext context, FlightDescriptor descriptor) {
    return flightInfo(Schemas.GET_CROSS_REFERENCE_SCHEMA, descriptor, Any.pack(request).toByteArray());
  }

  @Override
  public void getStreamCrossReference(FlightSql.CommandGetCrossReference command, CallContext context, ServerStreamListener listener) {
    metadata.empty(Schemas.GET_CROSS_REFERENCE_SCHEMA, listener);
  }

  @Override
  public void close() throws Exception {
    statements.close();
    engine.close();
  }

  // --- encoding helpers ------------------------------------------------------------------------

  private <T> T withPrepared(String sql, java.util.function.Function<PreparedQuery, T> read) {
    return read.apply(prepare(sql));
  }

  private PreparedQuery prepare(String sql) {
    if (sql.length() > limits.maxSqlChars()) {
      throw io.grpc.Status.INVALID_ARGUMENT.withDescription("The SQL text has " + sql.length() + " characters; the limit is "
          + limits.maxSqlChars() + " (--max-sql-length)").asRuntimeException();
    }
    try {
      return engine.prepare(sql);
    } catch (RuntimeException e) {
      throw FlightErrors.of(e, "Planning");
    }
  }

  private static FlightInfo flightInfo(Schema schema, FlightDescriptor descriptor, byte[] ticket) {
    // An endpoint without locations means "fetch from the server you asked".
    return new FlightInfo(schema, descriptor, List.of(new FlightEndpoint(new Ticket(ticket))), -1, -1);
  }

  private static ByteString ipcBytes(Schema schema) {
    return ByteString.copyFrom(MetadataTables.ipc(schema));
  }

  /**
   * One row of bound parameters as the planner takes them: strings, and timestamps as
   * java.sql.Timestamp of UTC's wall clock with every digit. A timestamp with a time zone (pyarrow's
   * for an aware datetime) reads as a bare number in its unit, which was taken for milliseconds.
   */
  private static List<Object> row(VectorSchemaRoot root, int index) {
    List<Object> values = new ArrayList<>();
    for (FieldVector vector : root.getFieldVectors()) {
      Object value = vector.getObject(index);
      if (value instanceof Text text) {
        value = text.toString();
      } else if (value instanceof LocalDateTime time) {
        value = java.sql.Timestamp.valueOf(time);
      } else if (value instanceof Long raw && vector.getField().getType() instanceof org.apache.arrow.vector.types.pojo.ArrowType.Timestamp t) {
        long per = io.rrdflight.sql.calcite.RerunSqlTypes.nanosPer(t.getUnit());
        long perSecond = 1_000_000_000L / per;
        value = java.sql.Timestamp.valueOf(LocalDateTime.ofEpochSecond(Math.floorDiv(raw, perSecond),
            (int) (Math.floorMod(raw, perSecond) * per), java.time.ZoneOffset.UTC));
      }
      values.add(value);
    }
    return values;
  }
}
