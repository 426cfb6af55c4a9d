package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.rrdflight.rrd.proto.Compression;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.EncoderVersion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.function.Consumer;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Arrow IPC forms Rerun's protocol uses, in one place: a table is a {@code DataframePart} holding
 * an IPC stream with one schema and exactly one record batch (clients read only the first batch,
 * and reject a stream without one, so "nothing" is a zero-row batch); a schema alone is a
 * {@code Schema} message holding an IPC stream without batches. Parts are written uncompressed and
 * compressed for the clients that want it ({@link #compressed}); parts from clients are read either way.
 */
final class ArrowIpc {
  /** The most a client's compressed part may claim to decompress to: no request needs more. */
  static final long MAX_UNCOMPRESSED_PART_BYTES = 256L << 20;

  private final BufferAllocator allocator;

  ArrowIpc(BufferAllocator allocator) {
    this.allocator = requireNonNull(allocator, "allocator is null");
  }

  BufferAllocator allocator() {
    return allocator;
  }

  /**
   * An IPC stream of {@code schema} and no batch. The fields are written as they are: a
   * dictionary-encoded field carries its values' type, as schemas read from a recording's chunks
   * do. (Arrow's stream writer would look each dictionary up to learn that type, and there is
   * no dictionary without a batch: a dataset with a dictionary column failed GetDatasetSchema.)
   */
  io.rrdflight.rrd.proto.Schema schema(Schema schema) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      WriteChannel channel = new WriteChannel(Channels.newChannel(out));
      MessageSerializer.serialize(channel, schema);
      ArrowStreamWriter.writeEndOfStream(channel, IpcOption.DEFAULT);
    } catch (IOException e) {
      throw new UncheckedIOException("writing an Arrow schema to memory", e);
    }
    return io.rrdflight.rrd.proto.Schema.newBuilder().setArrowSchema(ByteString.copyFrom(out.toByteArray())).build();
  }

  /** The root's current batch as a one-batch IPC stream. */
  static DataframePart dataframePart(VectorSchemaRoot root, DictionaryProvider dictionaries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ArrowStreamWriter writer = new ArrowStreamWriter(root, dictionaries, Channels.newChannel(out))) {
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

  /** {@code part} LZ4-compressed (a raw LZ4 block, as Rerun's clients read it), with its size. */
  static DataframePart compressed(DataframePart part) {
    byte[] raw = part.getPayload().toByteArray();
    byte[] block = LZ4Factory.fastestInstance().fastCompressor().compress(raw);
    return part.toBuilder()
        .setPayload(ByteString.copyFrom(block))
        .setCompression(Compression.COMPRESSION_LZ4)
        .setUncompressedSize(raw.length)
        .build();
  }

  /** The IPC stream bytes of a client's part, decompressed if needed; INVALID_ARGUMENT when they cannot be. */
  static byte[] payload(DataframePart part, String what) {
    switch (part.getCompression()) {
      case COMPRESSION_UNSPECIFIED, COMPRESSION_NONE -> {
        return part.getPayload().toByteArray();
      }
      case COMPRESSION_LZ4 -> {
        long size = part.getUncompressedSize();
        if (size <= 0 || size > MAX_UNCOMPRESSED_PART_BYTES) {
          throw CatalogStatus.invalidArgument(what + ": an LZ4 part must state its uncompressed size (1 to "
              + MAX_UNCOMPRESSED_PART_BYTES + " bytes), got " + size);
        }
        byte[] out = new byte[(int) size];
        try {
          int n = LZ4Factory.safeInstance().safeDecompressor().decompress(part.getPayload().toByteArray(), out);
          if (n != size) {
            throw CatalogStatus.invalidArgument(what + ": LZ4 part decompressed to " + n + " bytes, not the stated " + size);
          }
        } catch (LZ4Exception e) {
          throw CatalogStatus.invalidArgument(what + ": not a valid LZ4 block (" + e.getMessage() + ")");
        }
        return out;
      }
      default -> throw CatalogStatus.invalidArgument(what + ": unsupported compression " + part.getCompressionValue());
    }
  }

  /**
   * Hands every batch of a client's {@code DataframePart} to {@code batch} while it is loaded; the
   * root is reused and closed afterwards. INVALID_ARGUMENT if the part is not an IPC stream.
   */
  void readBatches(DataframePart part, String what, Consumer<VectorSchemaRoot> batch) {
    requireEncoderVersion(part, what);
    readStream(payload(part, what), what, batch);
  }

  /** INVALID_ARGUMENT unless {@code part} is in the one encoding Rerun's clients write (an Arrow IPC stream). */
  static void requireEncoderVersion(DataframePart part, String what) {
    if (part.getEncoderVersion() != EncoderVersion.ENCODER_VERSION_V0) {
      throw CatalogStatus.invalidArgument(what + ": unsupported encoder version " + part.getEncoderVersion() + "; expected ENCODER_VERSION_V0");
    }
  }

  /**
   * Hands every batch of an Arrow IPC stream (a part's payload, as the catalog keeps segment
   * properties) to {@code batch} while it is loaded; INVALID_ARGUMENT if it is not one.
   */
  void readStream(byte[] stream, String what, Consumer<VectorSchemaRoot> batch) {
    try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(stream), allocator)) {
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
