package io.rrdflight.sql;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Dataset;
import io.rrdflight.sql.calcite.QueryViewTableMacro;
import io.rrdflight.sql.calcite.RerunDatasetSchema;
import io.rrdflight.sql.engine.ChunkTimesCache;
import io.rrdflight.sql.engine.RerunData;
import io.rrdflight.sql.engine.ViewRowCounter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.avatica.util.Casing;
import org.apache.calcite.avatica.util.Quoting;
import org.apache.calcite.jdbc.CalciteConnection;
import org.apache.calcite.jdbc.Driver;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.runtime.Hook;
import org.apache.calcite.schema.SchemaPlus;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.tools.Program;
import org.apache.calcite.tools.Programs;
import org.apache.calcite.util.Holder;
import java.util.function.BooleanSupplier;

/**
 * Plans and runs SQL with Apache Calcite over the datasets of a {@link RerunData}: each dataset is
 * a catalog with the schema {@code rerun} (see {@link RerunDatasetSchema}). Planned queries are
 * cached by SQL text until the datasets change, since planning costs 10–30 ms on small machines.
 * Each planned query owns its own Calcite connection, so queries never share mutable planner state.
 */
public final class SqlEngine implements AutoCloseable {
  /** Distinct SQL texts kept planned. */
  static final int PLAN_CACHE_SIZE = 256;
  /**
   * Memory budget of the chunks one scan decodes at a time (one index window of one partition):
   * small enough for a server with a few hundred MB of heap, large enough that windows hold many
   * chunks. 16 MiB rather than 64: a window's per-column arrays (its rows long) then mostly stay
   * under G1's humongous size, whose allocations started a concurrent cycle in most filled views
   * over large.rrd (0.11 s of GC CPU per view), and the 16-recording full view peaks 21% lower,
   * no slower (scripts/bench/README.md). See sql-planner/README.md, "Bounded memory".
   */
  public static final long DEFAULT_WINDOW_BYTES = 16L << 20;

  static {
    // Registers Calcite's in-process driver; DriverManager does not scan a shaded jar reliably.
    new Driver();
  }

  private final RerunData data;
  private final BufferAllocator allocator;
  private final long windowBytes;
  /** What scans learnt about chunks' row sets, shared by all of this engine's queries. */
  private final ChunkTimesCache timesCache;
  private final Properties connectionProperties;
  /** How statements are parsed: as the connections below do (double-quoted identifiers, case kept). */
  private static final SqlParser.Config PARSER = SqlParser.config().withQuoting(Quoting.DOUBLE_QUOTE)
      .withUnquotedCasing(Casing.UNCHANGED).withQuotedCasing(Casing.UNCHANGED).withCaseSensitive(false);
  private final Map<CacheKey, PreparedQuery> cache = new LinkedHashMap<>(16, 0.75f, true);

  private record CacheKey(String sql, long generation) {}

  /**
   * @param allocator where row-path scans (plans with joins, aggregates…) put their batches; the
   *     columnar path allocates from the allocator each execution is given
   */
  public SqlEngine(RerunData data, BufferAllocator allocator) {
    this(data, allocator, DEFAULT_WINDOW_BYTES);
  }

  /** @param windowBytes the memory budget of one scan window (see {@link #DEFAULT_WINDOW_BYTES}) */
  public SqlEngine(RerunData data, BufferAllocator allocator, long windowBytes) {
    this.data = requireNonNull(data, "data is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    if (windowBytes <= 0) {
      throw new IllegalArgumentException("windowBytes must be positive: " + windowBytes);
    }
    this.windowBytes = windowBytes;
    this.timesCache = new ChunkTimesCache(ChunkTimesCache.DEFAULT_BYTES, data.chunkTimesStore());
    Properties props = new Properties();
    // Double-quoted identifiers, names kept as written, matched without regard to case: what JDBC
    // tools and the Flight SQL metadata path expect (lex=JAVA's back-ticks broke them).
    props.setProperty("quoting", "DOUBLE_QUOTE");
    props.setProperty("unquotedCasing", "UNCHANGED");
    props.setProperty("quotedCasing", "UNCHANGED");
    props.setProperty("caseSensitive", "false");
    props.setProperty("typeSystem", io.rrdflight.sql.calcite.RerunTypeSystem.class.getName()); // nanosecond TIMESTAMP literals
    this.connectionProperties = props;
  }

  public RerunData data() {
    return data;
  }

  /**
   * Starts counting, in the background, the rows a bare {@code COUNT(*)} of each timeline table
   * asks for, into this engine's cache and store ({@link ViewRowCounter}); the caller queues the
   * partitions and closes it.
   *
   * @param queriesRunning whether queries run now: the counter gives way to them
   */
  public ViewRowCounter rowCounter(BooleanSupplier queriesRunning) {
    return new ViewRowCounter(data, timesCache, allocator, windowBytes, queriesRunning);
  }

  /**
   * The planned query for {@code sql}, from the cache when the same text was planned since the
   * datasets last changed. The engine owns it: callers never close it.
   */
  public PreparedQuery prepare(String sql) {
    requireNonNull(sql, "sql is null");
    CacheKey key = new CacheKey(sql, data.generation());
    synchronized (cache) {
      PreparedQuery cached = cache.get(key);
      if (cached != null) {
        return cached;
      }
    }
    PreparedQuery planned = plan(sql);
    synchronized (cache) {
      PreparedQuery raced = cache.putIfAbsent(key, planned);
      if (raced != null) {
        planned.retire();
        return raced;
      }
      if (cache.size() > PLAN_CACHE_SIZE) {
        var eldest = cache.entrySet().iterator().next();
        cache.remove(eldest.getKey());
        eldest.getValue().retire();
      }
      // Plans of older generations can never be hit again.
      List<CacheKey> stale = cache.keySet().stream().filter(k -> k.generation() != key.generation()).toList();
      stale.forEach(k -> cache.remove(k).retire());
    }
    return planned;
  }

  /** How many planned queries the cache holds (for tests and metrics). */
  public int cachedPlans() {
    synchronized (cache) {
      return cache.size();
    }
  }

  PreparedQuery plan(String sql) {
    Map<Integer, String> viewArguments = QueryViewTableMacro.placeholderArguments(sql, PARSER);
    if (!viewArguments.isEmpty()) {
      return planWithViewArguments(sql, viewArguments);
    }
    Connection connection = null;
    AtomicReference<RelRoot> plan = new AtomicReference<>();
    try (Hook.Closeable ignored = Hook.PLAN_BEFORE_IMPLEMENTATION.addThread((Object o) -> {
      if (o instanceof RelRoot root) {
        plan.set(root);
      }
    });
        Hook.Closeable checkpoints = Hook.PROGRAM.addThread(SqlEngine::withCheckpoints)) {
      connection = open();
      PreparedStatement statement = connection.unwrap(CalciteConnection.class).prepareStatement(sql);
      return new PreparedQuery(sql, connection, statement, plan.get(), this::openStatement, this::prepare);
    } catch (SQLException | RuntimeException | AssertionError e) {
      // Calcite throws AssertionError for some input it cannot plan (a text literal where a TIMESTAMP is
      // compared): a refused query, not a dead server thread and an UNKNOWN error.
      closeQuietly(connection);
      throw SqlQueryException.wrapping(rootMessage(e), e);
    }
  }

  /** Calcite's standard optimisation followed by {@link QueryCheckpoint}s, so row-engine plans can be stopped. */
  private static void withCheckpoints(Holder<Program> program) {
    program.set(Programs.sequence(Programs.standard(), QueryCheckpoint.PROGRAM));
  }

  /**
   * A statement with {@code ?} among query_view's arguments: its columns are those of the template
   * with NULL (the defaults) there, its parameters typed from query_view's signature (the others
   * as Calcite infers them); each execution plans the text with the values written in.
   */
  private PreparedQuery planWithViewArguments(String sql, Map<Integer, String> viewArguments) {
    Map<Integer, ArrowType> types = new LinkedHashMap<>();
    viewArguments.forEach((k, name) -> types.put(k, QueryViewTableMacro.placeholderType(name)));
    PreparedQuery template = prepare(SqlParameters.substitute(sql, k -> types.containsKey(k) ? Optional.of("NULL") : Optional.empty()));
    List<Field> parameters = new ArrayList<>();
    Iterator<Field> others = template.parameterSchema().getFields().iterator();
    int count = types.size() + template.parameterSchema().getFields().size();
    for (int k = 0; k < count; k++) {
      FieldType type = types.containsKey(k) ? FieldType.nullable(types.get(k)) : others.next().getFieldType();
      parameters.add(new Field("parameter_" + (k + 1), type, null));
    }
    return PreparedQuery.boundByText(sql, template, new Schema(parameters), this::prepare);
  }

  /** A fresh statement for the same SQL, when the cached one is busy with another execution. */
  private PreparedQuery.Statement openStatement(String sql) {
    Connection connection = null;
    try {
      connection = open();
      return new PreparedQuery.Statement(connection, connection.unwrap(CalciteConnection.class).prepareStatement(sql));
    } catch (SQLException | RuntimeException e) {
      closeQuietly(connection);
      throw SqlQueryException.wrapping(rootMessage(e), e);
    }
  }

  private Connection open() throws SQLException {
    Connection connection = DriverManager.getConnection("jdbc:calcite:", connectionProperties);
    SchemaPlus root = connection.unwrap(CalciteConnection.class).getRootSchema();
    for (Dataset d : data.datasets()) {
      root.add(d.name(), schemaOf(d));
    }
    // Table entries sit in the root schema: queried by their plain names (names are unique across
    // datasets and tables, the catalog sees to that).
    for (io.rrdflight.catalog.Table t : data.tables()) {
      root.add(t.name(), new io.rrdflight.sql.tables.LanceSqlTable(t, data.lanceTables(), allocator));
    }
    return connection;
  }

  private RerunDatasetSchema schemaOf(Dataset dataset) {
    return new RerunDatasetSchema(dataset, data, allocator, windowBytes, timesCache);
  }

  /** {@code INSERT INTO table query}: the target's plain name and the query, as SQL this engine plans. */
  public record Insert(String table, String query) {}

  /**
   * The statement as an INSERT into a plain table name, or empty when it is no INSERT. A column
   * list or a qualified target is INVALID_ARGUMENT: rows go into table entries by position.
   */
  public static Optional<Insert> insert(String sql) {
    requireNonNull(sql, "sql is null");
    org.apache.calcite.sql.SqlNode node;
    try {
      node = SqlParser.create(sql, PARSER).parseStmt();
    } catch (org.apache.calcite.sql.parser.SqlParseException e) {
      return Optional.empty(); // planning reports the syntax error in its own words
    }
    if (!(node instanceof org.apache.calcite.sql.SqlInsert insert)) {
      return Optional.empty();
    }
    if (!(insert.getTargetTable() instanceof org.apache.calcite.sql.SqlIdentifier target) || target.names.size() != 1) {
      throw new SqlQueryException("INSERT goes into a table entry named plainly (INSERT INTO labels …), not "
          + insert.getTargetTable());
    }
    if (insert.getTargetColumnList() != null && insert.getTargetColumnList().size() > 0) {
      throw new SqlQueryException("INSERT takes no column list: the query's columns fill the table's in order");
    }
    String query = insert.getSource().toSqlString(c -> c.withDialect(org.apache.calcite.sql.dialect.CalciteSqlDialect.DEFAULT)
        .withQuoteAllIdentifiers(true)).getSql();
    return Optional.of(new Insert(target.names.get(0), query));
  }

  /** The names of the dataset's tables (schema {@code rerun}), in listing order. */
  public List<String> tableNames(Dataset dataset) {
    return List.copyOf(schemaOf(dataset).datasetTables().keySet());
  }

  @Override
  public void close() {
    List<PreparedQuery> all;
    synchronized (cache) {
      all = new ArrayList<>(cache.values());
      cache.clear();
    }
    all.forEach(PreparedQuery::retire);
  }

  /**
   * Calcite wraps the useful message (e.g. "Column 'x' not found") several causes deep; our own
   * exceptions are already written for the user and win over their causes.
   */
  static String rootMessage(Throwable e) {
    String best = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.rrdflight.catalog.CatalogException || t instanceof io.rrdflight.rrd.RrdFormatException) {
        return t.getMessage(); // ours, written for the user; its causes are only details
      }
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        best = t.getMessage();
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return best == null ? e.getClass().getSimpleName() : best;
  }

  private static void closeQuietly(Connection connection) {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // Already failing; the original error is the one to report.
      }
    }
  }
}
