package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.stub.StreamObserver;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.LanceTables;
import io.rrdflight.catalog.Table;
import io.rrdflight.catalog.TableSpool;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.server.AdmittedQuery;
import io.rrdflight.server.QueryAdmission;
import io.rrdflight.server.redap.proto.LanceTable;
import io.rrdflight.sql.QueryContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Table entries as Rerun's clients use them: CreateTableEntry, RegisterTable, GetTableSchema,
 * ScanTable (the system table {@code __entries} or a Lance table) and WriteTable. The rows are the
 * catalog's {@link LanceTables}; this class only translates. Both wires call it with their
 * vocabulary (0.29+ clients get LZ4-compressed parts).
 *
 * <p>A Lance table's scan is a data stream like QueryDataset's: it is admitted by the server's
 * {@link QueryAdmission} (a query slot, the memory budget, --query-timeout). The system table
 * {@code __entries} is a listing, answered at once like FindEntries.
 */
final class TableEntries {
  /** Rows per ScanTable message: a few MB for typical label tables, bounded for wide ones by Lance's batches. */
  static final int SCAN_BATCH_ROWS = 8192;

  private final Catalog catalog;
  private final Entries entries;
  private final BufferAllocator allocator;
  private final ExecutorService executor;
  private final QueryAdmission admission;

  /** @param admission the server's one admission: each Lance table scan takes a query slot from it */
  TableEntries(Catalog catalog, Entries entries, BufferAllocator allocator, ExecutorService executor, QueryAdmission admission) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.entries = requireNonNull(entries, "entries is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.executor = requireNonNull(executor, "executor is null");
    this.admission = requireNonNull(admission, "admission is null");
  }

  /**
   * The table a call is about: the id in the request (deprecated in 0.36 but still sent), else the
   * {@code x-rerun-entry-id} header, else the entry-name header.
   */
  EntryId requested(boolean present, io.rrdflight.rrd.proto.EntryId id, String call) {
    if (present) {
      return ProtoValues.fromProto(id);
    }
    EntryIdHeader.RequestedEntry header = EntryIdHeader.current();
    if (header.id().isPresent()) {
      return header.id().get();
    }
    if (header.name().isPresent()) {
      return catalog.tableNamed(header.name().get()).id();
    }
    throw CatalogStatus.invalidArgument(call + " needs the table's id (in the request or the header x-rerun-entry-id)");
  }

  /** CreateTableEntry: an empty Lance table at the client's URL, or below the data dir without one. */
  Table create(String name, Optional<Any> provider, io.rrdflight.rrd.proto.Schema schema) {
    if (name.isBlank()) {
      throw CatalogStatus.invalidArgument("A table needs a name");
    }
    Schema arrow = arrowSchema(schema, "CreateTableEntry");
    Optional<Path> dir = provider.map(p -> localDirectory(lanceUrl(p, "CreateTableEntry")));
    return catalog.createTable(name, dir, arrow, allocator);
  }

  /** RegisterTable: an existing Lance table (below the allowed roots) under a new name. */
  Table register(String name, Any provider) {
    if (name.isBlank()) {
      throw CatalogStatus.invalidArgument("A table needs a name");
    }
    return catalog.registerTable(name, localDirectory(lanceUrl(provider, "RegisterTable")), false);
  }

  /** GetTableSchema: the columns of the system table or of a Lance table, with Rerun's field metadata. */
  Schema schema(EntryId id, Vocabulary words) {
    Optional<Table> table = entries.table(id);
    return table.isEmpty() ? EntriesTable.schema(words) : catalog.lanceTables().schema(table.get());
  }

  /**
   * ScanTable: every row, one message per batch, no faster than the client reads. A table without
   * rows answers one empty batch, so the client still sees the columns. A Lance scan waits for a
   * query slot, reads into the query's allocator (its memory budget) and stops at its deadline:
   * between batches, and while it waits for a client that does not read ({@link FlowControlledSender}).
   */
  <T> void scan(EntryId id, Vocabulary words, StreamObserver<T> observer, Function<DataframePart, T> message) {
    Optional<Table> table = entries.table(id);
    if (table.isEmpty()) {
      observer.onNext(message.apply(EntriesTable.batch(entries.all(), words, allocator)));
      observer.onCompleted();
      return;
    }
    FlowControlledSender<T> sender = new FlowControlledSender<>(observer);
    executor.execute(() -> {
      // The rows are closed before the query: its allocator must be empty when it closes.
      try (AdmittedQuery query = admission.admit(allocator, sender::cancelled); QueryContext.Binding bound = query.context().bind();
          LanceTables.Rows rows = catalog.lanceTables().scan(table.get(), query.allocator(), List.of(), Optional.empty(), SCAN_BATCH_ROWS)) {
        ArrowReader reader = rows.reader();
        boolean sent = false;
        // The deadline is checked before each batch too: Lance may take a while to read one.
        while (!sender.cancelled() && deadlineNotPassed(query.context()) && reader.loadNextBatch()) {
          if (!sender.send(message.apply(words.part(reader.getVectorSchemaRoot())))) {
            return;
          }
          sent = true;
        }
        if (!sent) {
          try (VectorSchemaRoot empty = VectorSchemaRoot.create(reader.getVectorSchemaRoot().getSchema(), query.allocator())) {
            empty.setRowCount(0);
            sender.send(message.apply(words.part(empty)));
          }
        }
        sender.complete();
      } catch (IOException | RuntimeException | Error e) {
        sender.fail(e, "ScanTable"); // Errors too: see DatasetQuery#query
      }
    });
  }

  /** True, or the query's abort (DEADLINE_EXCEEDED past --query-timeout) thrown. */
  private static boolean deadlineNotPassed(QueryContext query) {
    query.checkNow();
    return true;
  }

  /** TableInsertMode numbers (the same in both vocabularies). */
  static LanceTables.WriteMode writeMode(int number) {
    return switch (number) {
      case 1 -> LanceTables.WriteMode.APPEND;
      case 2 -> LanceTables.WriteMode.OVERWRITE;
      case 3 -> LanceTables.WriteMode.UPSERT;
      case 4 -> throw io.grpc.Status.UNIMPLEMENTED.withDescription(
          "WriteTable: insert mode UPDATE is not served by rrdflight; use append, overwrite or upsert").asRuntimeException();
      default -> throw CatalogStatus.invalidArgument("WriteTable: insert mode " + number + " is not a valid TableInsertMode");
    };
  }

  /**
   * WriteTable, a client stream of dataframe parts: they are spooled ({@link TableSpool}) as they
   * come, then written to the table as one Lance commit when the client ends the stream. A stream
   * that fails or is cancelled writes nothing.
   */
  final class Write implements AutoCloseable {
    private final EntryId tableId;
    private final TableSpool spool = new TableSpool(allocator);
    private Integer mode;

    Write(EntryId tableId) {
      this.tableId = requireNonNull(tableId, "tableId is null");
      if (entries.table(tableId).isEmpty()) {
        spool.close();
        throw CatalogStatus.invalidArgument("The system table " + Entries.ENTRIES_TABLE_NAME + " cannot be written");
      }
    }

    /** One message of the stream. */
    void add(DataframePart part, int insertMode) {
      if (mode == null) {
        writeMode(insertMode);
        mode = insertMode;
      } else if (mode != insertMode) {
        throw CatalogStatus.invalidArgument("WriteTable: one stream must keep one insert mode (" + mode + ", then " + insertMode + ")");
      }
      try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(ArrowIpc.payload(part, "WriteTable")), allocator)) {
        while (reader.loadNextBatch()) {
          spool.add(reader.getVectorSchemaRoot());
        }
      } catch (IOException e) {
        throw CatalogStatus.invalidArgument("WriteTable: a part is not a readable Arrow IPC stream (" + e.getMessage() + ")");
      }
    }

    /** The end of the stream: writes the spooled rows as one commit (nothing when none came). */
    void commit() {
      Optional<ArrowStreamReader> rows = spool.read();
      if (rows.isPresent()) {
        catalog.lanceTables().write(catalog.table(tableId), rows.get(), writeMode(mode), allocator);
      }
    }

    @Override
    public void close() {
      spool.close();
    }
  }

  /**
   * The server side of a WriteTable stream in either vocabulary: {@code add} hands each request's
   * part and mode to the write; the client's end of stream commits it and answers {@code done}. The
   * first failure ends the call with its status and nothing is written.
   */
  <Q, R> StreamObserver<Q> receiveWrite(StreamObserver<R> observer, R done, java.util.function.BiConsumer<Q, Write> add) {
    Write write;
    try {
      write = new Write(requested(false, null, "WriteTable"));
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "WriteTable"));
      return new StreamObserver<>() {
        @Override public void onNext(Q value) {}
        @Override public void onError(Throwable t) {}
        @Override public void onCompleted() {}
      };
    }
    return new StreamObserver<>() {
      private boolean failed;

      @Override
      public void onNext(Q request) {
        if (failed) {
          return;
        }
        try {
          add.accept(request, write);
        } catch (RuntimeException e) {
          fail(e);
        }
      }

      @Override
      public void onError(Throwable t) {
        write.close(); // the client gave up: nothing is written
      }

      @Override
      public void onCompleted() {
        if (failed) {
          return;
        }
        try {
          write.commit();
        } catch (RuntimeException e) {
          fail(e);
          return;
        }
        write.close();
        observer.onNext(done);
        observer.onCompleted();
      }

      private void fail(RuntimeException e) {
        failed = true;
        write.close();
        observer.onError(CatalogStatus.of(e, "WriteTable"));
      }
    };
  }

  private Schema arrowSchema(io.rrdflight.rrd.proto.Schema schema, String call) {
    try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(schema.getArrowSchema().toByteArray()), allocator)) {
      return reader.getVectorSchemaRoot().getSchema();
    } catch (IOException | RuntimeException e) {
      throw CatalogStatus.invalidArgument(call + ": the schema is not a readable Arrow IPC schema (" + e.getMessage() + ")");
    }
  }

  private static String lanceUrl(Any provider, String call) {
    if (!provider.getTypeUrl().endsWith("rerun.cloud.v1alpha1.LanceTable")) {
      throw CatalogStatus.invalidArgument(call + ": provider_details must be a LanceTable, got " + provider.getTypeUrl());
    }
    try {
      return LanceTable.parseFrom(provider.getValue()).getTableUrl();
    } catch (InvalidProtocolBufferException e) {
      throw CatalogStatus.invalidArgument(call + ": provider_details is not a readable LanceTable");
    }
  }

  /** A {@code file://} URL or a plain absolute path; tables live on this server's disk only. */
  static Path localDirectory(String url) {
    if (url.isBlank()) {
      throw CatalogStatus.invalidArgument("A table URL is needed");
    }
    if (url.startsWith("/")) {
      return Path.of(url).normalize();
    }
    try {
      URI uri = new URI(url);
      if (!"file".equals(uri.getScheme())) {
        throw CatalogStatus.invalidArgument("rrdflight keeps tables on its own disk: use a file:// URL, not " + url);
      }
      return Path.of(uri).normalize();
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw CatalogStatus.invalidArgument("Not a valid table URL: " + url);
    }
  }
}
