package io.rrdflight.server.flightsql;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.LanceTables;
import io.rrdflight.catalog.Table;
import io.rrdflight.catalog.TableSpool;
import io.rrdflight.server.AdmittedQuery;
import io.rrdflight.server.QueryAdmission;
import io.rrdflight.sql.QueryContext;
import java.util.Optional;
import org.apache.arrow.flight.FlightProducer.StreamListener;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.sql.impl.FlightSql;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableExistsOption;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableNotExistOption;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/**
 * Flight SQL bulk ingestion ({@code CommandStatementIngest}; ADBC's {@code adbc_ingest}, JDBC
 * drivers' bulk load): the rows become a table entry, the same Lance tables Rerun's clients see.
 * ADBC's modes map to the command's options: create (create, fail if it exists), append (fail if
 * missing, append), replace (create, replace) and create_append (create, append). The rows are
 * spooled as they arrive and written as one commit, so a failed or cancelled upload writes nothing.
 * Tables have plain names (no catalog, no schema); a new one is stored below the data dir.
 */
final class TableIngest {
  private final Catalog catalog;
  private final BufferAllocator allocator;
  private final QueryAdmission admission;

  /** @param admission the server's one admission: an INSERT's query takes a slot, budget and deadline as any query */
  TableIngest(Catalog catalog, BufferAllocator allocator, QueryAdmission admission) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.admission = requireNonNull(admission, "admission is null");
  }

  Runnable accept(FlightSql.CommandStatementIngest command, FlightStream stream, StreamListener<PutResult> ack) {
    io.rrdflight.server.auth.AuditLog.tableWrite("bulk ingest", command.getTable());
    return () -> {
      try (TableSpool spool = new TableSpool(allocator)) {
        String name = tableName(command);
        while (stream.next()) {
          spool.add(stream.getRoot());
        }
        acknowledge(ack, write(name, command.getTableDefinitionOptions(), spool, stream));
      } catch (RuntimeException e) {
        ack.onError(FlightErrors.of(e, "Ingest"));
      }
    };
  }

  /** Rows per batch an INSERT's query produces while it is spooled. */
  private static final int INSERT_BATCH_ROWS = 65_536;

  /**
   * {@code INSERT INTO table query}: the query's rows are appended to the table, its columns filling
   * the table's in order (names from the table); a table that does not exist yet is created with the
   * query's columns. One commit, as with ingestion. The query runs as any other does: admitted, in its
   * memory budget, stopped at its deadline (or a CancelFlightInfo) between and inside batches.
   */
  Runnable insert(String name, io.rrdflight.sql.PreparedQuery query, java.util.List<java.util.List<Object>> parameterRows,
      StreamListener<PutResult> ack) {
    io.rrdflight.server.auth.AuditLog.tableWrite("INSERT INTO", name);
    return () -> {
      try (AdmittedQuery admitted = admission.admit(allocator, () -> false);
          QueryContext.Binding bound = admitted.context().bind();
          TableSpool spool = new TableSpool(allocator)) {
        Optional<Table> existing = catalog.findTable(name);
        org.apache.arrow.vector.types.pojo.Schema produced = null;
        java.util.List<org.apache.arrow.vector.types.pojo.Field> fields = null;
        // Each row of parameters runs the query once; all their rows go in as one commit.
        for (java.util.List<Object> parameters : parameterRows) {
          try (io.rrdflight.sql.ResultBatches batches = query.execute(parameters, admitted.allocator(), INSERT_BATCH_ROWS)) {
            if (fields == null) {
              produced = batches.root().getSchema();
              fields = tableFields(name, existing, produced.getFields());
            }
            while (batches.next()) {
              admitted.context().checkNow();
              org.apache.arrow.vector.VectorSchemaRoot root = batches.root();
              spool.add(new org.apache.arrow.vector.VectorSchemaRoot(fields, root.getFieldVectors(), root.getRowCount()));
            }
          }
        }
        org.apache.arrow.vector.types.pojo.Schema columns = requireNonNull(produced, "no row of parameters");
        Table table = existing.orElseGet(() -> catalog.createTable(name, Optional.empty(),
            new org.apache.arrow.vector.types.pojo.Schema(columns.getFields()), allocator));
        long rows = 0;
        Optional<ArrowStreamReader> spooled = spool.read();
        if (spooled.isPresent()) {
          appendOrForget(table, existing.isEmpty(), spooled.get(), LanceTables.WriteMode.APPEND);
          rows = spool.rows();
        }
        acknowledge(ack, rows);
      } catch (RuntimeException e) {
        ack.onError(FlightErrors.of(e, "Insert"));
      }
    };
  }

  /**
   * The query's columns as the table takes them: an existing table's names, in order (the query must
   * have as many columns); a new table's are the query's own.
   */
  private java.util.List<org.apache.arrow.vector.types.pojo.Field> tableFields(String name, Optional<Table> existing,
      java.util.List<org.apache.arrow.vector.types.pojo.Field> fields) {
    if (existing.isEmpty()) {
      return fields;
    }
    java.util.List<org.apache.arrow.vector.types.pojo.Field> columns = catalog.lanceTables().schema(existing.get()).getFields();
    if (columns.size() != fields.size()) {
      throw CatalogException.invalidArgument("INSERT INTO " + name + ": the query has " + fields.size() + " columns, the table "
          + columns.size() + " (" + String.join(", ", columns.stream().map(org.apache.arrow.vector.types.pojo.Field::getName).toList()) + ")");
    }
    java.util.List<org.apache.arrow.vector.types.pojo.Field> renamed = new java.util.ArrayList<>();
    for (int i = 0; i < fields.size(); i++) {
      renamed.add(new org.apache.arrow.vector.types.pojo.Field(columns.get(i).getName(), fields.get(i).getFieldType(),
          fields.get(i).getChildren()));
    }
    return renamed;
  }

  private void acknowledge(StreamListener<PutResult> ack, long rows) {
    byte[] bytes = FlightSql.DoPutUpdateResult.newBuilder().setRecordCount(rows).build().toByteArray();
    try (ArrowBuf buffer = allocator.buffer(bytes.length)) {
      buffer.writeBytes(bytes);
      ack.onNext(PutResult.metadata(buffer));
    }
    ack.onCompleted();
  }

  private static String tableName(FlightSql.CommandStatementIngest command) {
    if ((command.hasCatalog() && !command.getCatalog().isEmpty()) || (command.hasSchema() && !command.getSchema().isEmpty())) {
      throw CatalogException.invalidArgument("Tables have plain names: ingest into '" + command.getTable()
          + "' without a catalog or schema (datasets are read-only)");
    }
    if (command.getTemporary()) {
      throw CatalogException.invalidArgument("Temporary tables are not supported; ingest into a table");
    }
    if (command.hasTransactionId()) {
      throw CatalogException.invalidArgument("Transactions are not supported");
    }
    return command.getTable();
  }

  private long write(String name, FlightSql.CommandStatementIngest.TableDefinitionOptions options, TableSpool spool, FlightStream stream) {
    TableNotExistOption ifMissing = options.getIfNotExist();
    TableExistsOption ifExists = options.getIfExists();
    Optional<Table> existing = catalog.findTable(name);
    Table table;
    LanceTables.WriteMode mode;
    if (existing.isPresent()) {
      mode = switch (ifExists) {
        case TABLE_EXISTS_OPTION_APPEND -> LanceTables.WriteMode.APPEND;
        case TABLE_EXISTS_OPTION_REPLACE -> LanceTables.WriteMode.REPLACE;
        default -> throw CatalogException.alreadyExists("Table '" + name + "' already exists; ingest with mode append or replace");
      };
      table = existing.get();
    } else {
      if (ifMissing != TableNotExistOption.TABLE_NOT_EXIST_OPTION_CREATE) {
        throw CatalogException.notFound("No table named '" + name + "'; ingest with mode create to make it");
      }
      try {
        table = catalog.createTable(name, Optional.empty(), spool.schema().orElse(stream.getSchema()), allocator);
        mode = LanceTables.WriteMode.APPEND;
      } catch (CatalogException raced) {
        // Another ingest made it since the lookup: create_append appends to it, as it would have a moment later.
        Optional<Table> made = catalog.findTable(name);
        if (raced.kind() != CatalogException.Kind.ALREADY_EXISTS || made.isEmpty() || ifExists != TableExistsOption.TABLE_EXISTS_OPTION_APPEND) {
          throw raced;
        }
        existing = made;
        table = made.get();
        mode = LanceTables.WriteMode.APPEND;
      }
    }
    if (mode == LanceTables.WriteMode.REPLACE && spool.schema().isEmpty()) {
      spool.start(stream.getSchema()); // no batch at all (an empty DataFrame): replace still means the table now holds none
    }
    Optional<ArrowStreamReader> rows = spool.read();
    if (rows.isEmpty()) {
      return 0;
    }
    appendOrForget(table, existing.isEmpty(), rows.get(), mode);
    return spool.rows();
  }

  /**
   * Writes {@code rows}; when that fails, a table this call {@code made} goes with it, unless another
   * call has written rows to it since (those stay, and so does the table).
   */
  private void appendOrForget(Table table, boolean made, ArrowStreamReader rows, LanceTables.WriteMode mode) {
    try {
      catalog.lanceTables().write(table, rows, mode, allocator);
    } catch (RuntimeException e) {
      try {
        if (made && catalog.findTable(table.id()).isPresent() && catalog.lanceTables().rowCount(table) == 0) {
          catalog.deleteTable(table.id());
        }
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup); // the write's failure is what the client is told
      }
      throw e;
    }
  }
}
