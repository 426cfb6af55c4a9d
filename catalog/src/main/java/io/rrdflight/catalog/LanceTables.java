package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.NestedVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.lance.Dataset;
import org.lance.WriteParams;
import org.lance.ipc.LanceScanner;
import org.lance.ipc.ScanOptions;
import org.lance.merge.MergeInsertParams;

/**
 * The rows of table entries: each table is a Lance dataset in a directory, read and written with
 * Lance's Java library (the format Rerun's server keeps its tables in, so a directory moves freely
 * between {@code rerun server -t} and {@code rrdflight server -t}; see the module README).
 *
 * <p>Every write is one Lance commit: the data files are written first, then a new manifest
 * version is published with an atomic rename, so a reader (or a crash in the middle) sees the
 * previous version or the new one, never a part. Writers to one table inside this process take
 * turns (a lock per directory); writers in other processes are reconciled by Lance's own
 * optimistic commits, which retry appends on conflict.
 *
 * <p>The native library (about 180 MB) is loaded the first time a table is touched, so servers
 * without tables never pay for it; {@link LanceNativeLibrary} removes the copy Lance unpacks.
 */
public final class LanceTables {
  /** How a write changes a table (Rerun's TableInsertMode). */
  public enum WriteMode {
    APPEND,
    OVERWRITE,
    /** As OVERWRITE, and the rows' columns become the table's (a Flight SQL ingest in mode replace). */
    REPLACE,
    /** Rows whose index columns ({@code rerun:is_table_index}) match are replaced, the rest appended. */
    UPSERT
  }

  /** The field metadata key Rerun marks a table's index (upsert key) columns with. */
  public static final String INDEX_MARKER = "rerun:is_table_index";

  private final Map<Path, ReentrantLock> writeLocks = new ConcurrentHashMap<>();

  /**
   * Checks that {@code dir} holds a Lance dataset Lance can open; INVALID_ARGUMENT naming the
   * directory if not (a Parquet or CSV file, an empty directory, a dataset of a newer format).
   */
  public Schema requireTable(Path dir) {
    requireNonNull(dir, "dir is null");
    if (!Files.isDirectory(dir)) {
      throw CatalogException.invalidArgument("A table must be a Lance dataset directory; " + dir
          + (Files.exists(dir) ? " is not a directory" : " does not exist"));
    }
    if (!Files.isDirectory(dir.resolve("_versions"))) {
      throw CatalogException.invalidArgument("Not a Lance table: " + dir + " has no _versions directory");
    }
    LanceNativeLibrary.load();
    try (Dataset ds = Dataset.open(dir.toString())) {
      return ds.getSchema();
    } catch (Exception e) { // Lance's native side throws checked IOExceptions undeclared
      throw CatalogException.invalidArgument("Cannot open the Lance table " + dir + ": " + firstLine(e));
    }
  }

  /** Makes an empty table with {@code schema} in the new or empty directory {@code dir}. */
  public void create(Path dir, Schema schema, BufferAllocator allocator) {
    requireNonNull(dir, "dir is null");
    requireNonNull(schema, "schema is null");
    if (schema.getFields().isEmpty()) {
      throw CatalogException.invalidArgument("A table needs at least one column");
    }
    requireUniqueNames(schema);
    if (Files.isDirectory(dir.resolve("_versions"))) {
      throw CatalogException.alreadyExists("A Lance table already exists in " + dir + "; register it instead");
    }
    LanceNativeLibrary.load();
    try (Dataset ignored = Dataset.create(allocator, dir.toString(), schema, new WriteParams.Builder().build())) {
      // created: version 1, no rows
    } catch (Exception e) {
      throw lanceFailure("Cannot create the Lance table " + dir, e);
    }
  }

  /** The table's columns as Arrow sees them, with Rerun's field metadata. */
  public Schema schema(Table table) {
    try (Dataset ds = open(table)) {
      return ds.getSchema();
    }
  }

  public long rowCount(Table table) {
    try (Dataset ds = open(table)) {
      return ds.countRows();
    }
  }

  /** Rows of a table being read; closing it releases the scan and the dataset. */
  public static final class Rows implements AutoCloseable {
    private final Dataset dataset;
    private final LanceScanner scanner;
    private final ArrowReader reader;

    private Rows(Dataset dataset, LanceScanner scanner, ArrowReader reader) {
      this.dataset = dataset;
      this.scanner = scanner;
      this.reader = reader;
    }

    /** Batches in the table's (or the projection's) schema; owned by this object. */
    public ArrowReader reader() {
      return reader;
    }

    @Override
    public void close() {
      try {
        reader.close();
        scanner.close();
      } catch (Exception e) {
        throw CatalogException.internal("Closing a table scan failed: " + e.getMessage(), e);
      } finally {
        dataset.close();
      }
    }
  }

  /**
   * Reads the latest version of a table in batches of at most {@code batchRows} rows.
   *
   * @param columns the columns to read, in this order; empty: all
   * @param filter a Lance (SQL) predicate pushed into the scan; empty: every row
   */
  public Rows scan(Table table, BufferAllocator allocator, List<String> columns, Optional<String> filter, int batchRows) {
    requireNonNull(columns, "columns is null");
    requireNonNull(filter, "filter is null");
    Dataset ds = open(table);
    try {
      Schema schema = ds.getSchema();
      for (String c : columns) {
        if (schema.getFields().stream().noneMatch(f -> f.getName().equals(c))) {
          throw CatalogException.invalidArgument("Table '" + table.name() + "' has no column '" + c + "'");
        }
      }
      ScanOptions.Builder options = new ScanOptions.Builder().batchSize(batchRows);
      if (!columns.isEmpty()) {
        options.columns(columns);
      }
      filter.ifPresent(options::filter);
      LanceScanner scanner = LanceScanner.create(ds, options.build(), allocator);
      return new Rows(ds, scanner, scanner.scanBatches());
    } catch (Exception e) {
      ds.close();
      throw e instanceof CatalogException ce ? ce
          : CatalogException.invalidArgument("Cannot scan table '" + table.name() + "': " + firstLine(e));
    }
  }

  /**
   * Writes {@code data} into the table as one new version. The data's columns must be the table's
   * (same names and types, any order); otherwise INVALID_ARGUMENT names the first column that
   * differs and nothing is written. Returns the table's row count after the write.
   */
  public long write(Table table, ArrowReader data, WriteMode mode, BufferAllocator allocator) {
    requireNonNull(data, "data is null");
    requireNonNull(mode, "mode is null");
    ReentrantLock lock = writeLocks.computeIfAbsent(table.path(), p -> new ReentrantLock());
    lock.lock();
    try (Dataset ds = open(table)) {
      Schema tableSchema = ds.getSchema();
      Schema dataSchema;
      try {
        dataSchema = data.getVectorSchemaRoot().getSchema();
      } catch (java.io.IOException e) {
        throw CatalogException.invalidArgument("The rows to write to table '" + table.name() + "' are unreadable: " + e.getMessage());
      }
      if (mode != WriteMode.REPLACE) {
        requireSameColumns(table.name(), tableSchema, dataSchema);
      }
      List<String> keys = indexColumns(tableSchema);
      if (mode == WriteMode.UPSERT && keys.isEmpty()) {
        throw CatalogException.invalidArgument("Table '" + table.name() + "' has no index column (field metadata "
            + INDEX_MARKER + " = true), so rows cannot be upserted; append or overwrite instead");
      }
      try {
        switch (mode) {
          case APPEND, OVERWRITE, REPLACE -> {
            WriteParams.WriteMode lanceMode = mode == WriteMode.APPEND ? WriteParams.WriteMode.APPEND : WriteParams.WriteMode.OVERWRITE;
            try (Dataset written = Dataset.write().allocator(allocator).reader(data).uri(table.path().toString()).mode(lanceMode).execute()) {
              return written.countRows();
            }
          }
          case UPSERT -> {
            try (ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
              Data.exportArrayStream(allocator, data, stream);
              ds.mergeInsert(new MergeInsertParams(keys).withMatchedUpdateAll()
                  .withNotMatched(MergeInsertParams.WhenNotMatched.InsertAll), stream);
            }
            ds.checkoutLatest();
            return ds.countRows();
          }
          default -> throw new IllegalStateException(mode.name());
        }
      } catch (CatalogException e) {
        throw e;
      } catch (Exception e) {
        throw lanceFailure("Writing to table '" + table.name() + "' failed, nothing was written", e);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Names and types equal, in any order; nullability and metadata may differ (clients drop them). */
  static void requireSameColumns(String tableName, Schema table, Schema data) {
    for (Field f : data.getFields()) {
      Optional<Field> t = table.getFields().stream().filter(x -> x.getName().equals(f.getName())).findFirst();
      if (t.isEmpty()) {
        throw CatalogException.invalidArgument("Column '" + f.getName() + "' is not in table '" + tableName + "' (its columns: "
            + String.join(", ", table.getFields().stream().map(Field::getName).toList()) + "); nothing was written");
      }
      if (!NestedVectors.sameTypes(t.get(), f)) {
        throw CatalogException.invalidArgument("Column '" + f.getName() + "' of table '" + tableName + "' is "
            + typeName(t.get()) + ", the rows have " + typeName(f) + "; nothing was written");
      }
    }
    for (Field t : table.getFields()) {
      if (data.getFields().stream().noneMatch(f -> f.getName().equals(t.getName()))) {
        throw CatalogException.invalidArgument("The rows lack column '" + t.getName() + "' of table '" + tableName
            + "'; nothing was written");
      }
    }
  }

  private static String typeName(Field f) {
    return f.getChildren().isEmpty() ? f.getType().toString() : f.getType() + "<" + String.join(", ", f.getChildren().stream().map(LanceTables::typeName).toList()) + ">";
  }

  static List<String> indexColumns(Schema schema) {
    List<String> keys = new ArrayList<>();
    for (Field f : schema.getFields()) {
      if (f.getMetadata() != null && "true".equalsIgnoreCase(f.getMetadata().get(INDEX_MARKER))) {
        keys.add(f.getName());
      }
    }
    return keys;
  }

  private static void requireUniqueNames(Schema schema) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Field f : schema.getFields()) {
      if (!seen.add(f.getName())) {
        throw CatalogException.invalidArgument("Column '" + f.getName() + "' appears twice in the table's schema");
      }
    }
  }

  private static Dataset open(Table table) {
    LanceNativeLibrary.load();
    try {
      return Dataset.open(table.path().toString());
    } catch (Exception e) {
      throw CatalogException.failed("Table '" + table.name() + "': its Lance dataset " + table.path()
          + " cannot be opened: " + firstLine(e), e);
    }
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    // Lance ends its messages with the Rust source line that raised them: nothing a client can use.
    return (nl < 0 ? m : m.substring(0, nl)).replaceFirst(", /\\S+\\.rs:\\d+:\\d+$", "");
  }

  /**
   * A failed create or write: INVALID_ARGUMENT when Lance refused the client's input (its invalid-input
   * errors, which reach Java as IllegalArgumentException, and types it cannot store), else FAILED.
   */
  private static CatalogException lanceFailure(String what, Exception e) {
    String message = what + ": " + firstLine(e);
    boolean clientsInput = e instanceof IllegalArgumentException || String.valueOf(e.getMessage()).startsWith("LanceError(Schema)");
    return clientsInput ? CatalogException.invalidArgument(message) : CatalogException.failed(message, e);
  }
}
