package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Rows a client sends for one table write, kept in a private temporary Arrow file while they arrive
 * (a Rerun WriteTable stream, a Flight SQL bulk ingest), so that memory stays bounded whatever
 * their size and the table is written in one commit once the client has sent everything.
 * Closing deletes the file.
 */
public final class TableSpool implements AutoCloseable {
  private final BufferAllocator allocator;
  private final Path file;
  private final OutputStream out;
  private VectorSchemaRoot staging;
  private ArrowStreamWriter writer;
  private InputStream in;
  private ArrowStreamReader reader;
  private long rows;

  public TableSpool(BufferAllocator allocator) {
    this.allocator = requireNonNull(allocator, "allocator is null");
    try {
      file = Files.createTempFile("rrdflight-write-", ".arrows", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      out = Files.newOutputStream(file);
    } catch (IOException e) {
      throw CatalogException.internal("Cannot spool rows to a temporary file: " + e.getMessage(), e);
    }
  }

  /** Appends the root's current batch; every batch must have the first one's schema. */
  public void add(VectorSchemaRoot batch) {
    if (reader != null) {
      throw new IllegalStateException("the spool is already being read");
    }
    try {
      if (staging == null) {
        start(batch.getSchema());
      } else if (!staging.getSchema().equals(batch.getSchema())) {
        throw CatalogException.invalidArgument("All batches of one write must have one schema; got " + staging.getSchema()
            + ", then " + batch.getSchema());
      }
      try (ArrowRecordBatch record = new VectorUnloader(batch).getRecordBatch()) {
        new VectorLoader(staging).load(record);
        writer.writeBatch();
      }
      rows += batch.getRowCount();
    } catch (IOException e) {
      throw CatalogException.internal("Cannot spool rows to " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Starts the spooled stream with {@code schema} before any batch: {@link #read} then gives a stream
   * without a batch rather than nothing (a replace by no rows). At most once, before the first batch.
   */
  public void start(Schema schema) {
    if (staging != null) {
      throw new IllegalStateException("the spool has started already");
    }
    try {
      staging = VectorSchemaRoot.create(schema, allocator);
      writer = new ArrowStreamWriter(staging, null, out);
      writer.start();
    } catch (IOException e) {
      throw CatalogException.internal("Cannot spool rows to " + file + ": " + e.getMessage(), e);
    }
  }

  /** The schema of the rows, once a batch came (or {@link #start}). */
  public Optional<Schema> schema() {
    return staging == null ? Optional.empty() : Optional.of(staging.getSchema());
  }

  public long rows() {
    return rows;
  }

  /** The spooled rows, to read once; empty when no batch came. Owned by the spool. */
  public Optional<ArrowStreamReader> read() {
    if (staging == null) {
      return Optional.empty();
    }
    try {
      writer.end();
      writer.close();
      out.close();
      in = Files.newInputStream(file);
      reader = new ArrowStreamReader(in, allocator);
      return Optional.of(reader);
    } catch (IOException e) {
      throw CatalogException.internal("Cannot read the spooled rows back from " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      if (reader != null) {
        reader.close();
      } else if (writer != null) {
        writer.close();
      }
      out.close();
      if (in != null) {
        in.close();
      }
    } catch (IOException e) {
      // the file goes below either way
    } finally {
      if (staging != null) {
        staging.close();
      }
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // a leftover temporary file is harmless
      }
    }
  }
}
