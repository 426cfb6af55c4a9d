package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.EncoderVersion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Arrow IPC forms Rerun's protocol uses, in one place: a table is a {@code DataframePart} holding
 * an IPC stream with one schema and exactly one record batch (clients read only the first batch,
 * and reject a stream without one, so "nothing" is a zero-row batch); a schema alone is a
 * {@code Schema} message holding an IPC stream without batches. Always uncompressed.
 */
final class ArrowIpc {
  private final BufferAllocator allocator;

  ArrowIpc(BufferAllocator allocator) {
    this.allocator = requireNonNull(allocator, "allocator is null");
  }

  BufferAllocator allocator() {
    return allocator;
  }

  /** An IPC stream of {@code schema} and no batch. */
  io.rrdflight.rrd.proto.Schema schema(Schema schema) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator);
        ArrowStreamWriter writer = new ArrowStreamWriter(empty, null, Channels.newChannel(out))) {
      writer.start();
      writer.end();
    } catch (IOException e) {
      throw new UncheckedIOException("writing an Arrow schema to memory", e);
    }
    return io.rrdflight.rrd.proto.Schema.newBuilder().setArrowSchema(ByteString.copyFrom(out.toByteArray())).build();
  }

  /** The root's current batch as a one-batch IPC stream. */
  static DataframePart dataframePart(VectorSchemaRoot root) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
      writer.start();
      writer.writeBatch();
      writer.end();
    } catch (IOException e) {
      throw new UncheckedIOException("writing an Arrow batch to memory", e);
    }
    return DataframePart.newBuilder()
        .setEncoderVersion(EncoderVersion.ENCODER_VERSION_V0)
        .setPayload(ByteString.copyFrom(out.toByteArray()))
        .build();
  }

  /**
   * Hands every batch of a client's {@code DataframePart} to {@code batch} while it is loaded; the
   * root is reused and closed afterwards. INVALID_ARGUMENT if the part is not an IPC stream.
   */
  void readBatches(DataframePart part, String what, Consumer<VectorSchemaRoot> batch) {
    if (part.getEncoderVersion() != EncoderVersion.ENCODER_VERSION_V0) {
      throw CatalogStatus.invalidArgument(what + ": unsupported encoder version " + part.getEncoderVersion() + "; expected ENCODER_VERSION_V0");
    }
    try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(part.getPayload().toByteArray()), allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      while (reader.loadNextBatch()) {
        batch.accept(root);
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof io.grpc.StatusRuntimeException s) {
        throw s;
      }
      throw CatalogStatus.invalidArgument(what + ": not a readable Arrow IPC stream (" + e.getMessage() + ")");
    }
  }
}
