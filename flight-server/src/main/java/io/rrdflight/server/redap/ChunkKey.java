package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.EntryId;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Where one chunk lies, as the opaque {@code chunk_key} bytes of a QueryDataset row that the client
 * hands back in FetchChunks: dataset, partition and layer (to find the registered file in the
 * catalog) and the byte span of the chunk's ArrowMsg in that file. FetchChunks thus reads each chunk
 * with one positional read, without looking anything up in an index.
 *
 * <p>A key names a file only through the catalog, never by path, so a forged key can at most read
 * bytes of a registered recording; those bytes must still parse as an ArrowMsg (of the same chunk,
 * when the file records chunk ids) before anything is sent.
 *
 * @param chunkTimeNs the chunk id's first half (0 with {@code chunkInc} when unknown)
 * @param fromCopy whether the span lies in the partition's compacted copy rather than its file: a
 *     partition may switch to its copy between a client's query and its FetchChunks
 */
record ChunkKey(EntryId datasetId, String partitionId, String layer, long offset, long length, long chunkTimeNs, long chunkInc,
    boolean fromCopy) {
  /** Format marker and version of the encoding; a different first byte is not ours. */
  private static final byte FORMAT = 'K';
  /** Version 2 added the copy flag (a trailing byte); version 1 keys name the file. */
  private static final byte VERSION = 2;
  private static final byte VERSION_WITHOUT_COPY = 1;

  /** A key into the partition's own file. */
  ChunkKey(EntryId datasetId, String partitionId, String layer, long offset, long length, long chunkTimeNs, long chunkInc) {
    this(datasetId, partitionId, layer, offset, length, chunkTimeNs, chunkInc, false);
  }

  ChunkKey {
    requireNonNull(datasetId, "datasetId is null");
    requireNonNull(partitionId, "partitionId is null");
    requireNonNull(layer, "layer is null");
    if (offset < 0 || length <= 0) {
      throw new IllegalArgumentException("bad chunk span: offset " + offset + ", length " + length);
    }
  }

  byte[] encode() {
    byte[] partition = partitionId.getBytes(StandardCharsets.UTF_8);
    byte[] layerBytes = layer.getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(2 + 16 + 8 + 8 + 16 + 4 + partition.length + 4 + layerBytes.length + 1);
    out.put(FORMAT).put(VERSION)
        .putLong(datasetId.timeNs()).putLong(datasetId.inc())
        .putLong(offset).putLong(length)
        .putLong(chunkTimeNs).putLong(chunkInc)
        .putInt(partition.length).put(partition)
        .putInt(layerBytes.length).put(layerBytes)
        .put((byte) (fromCopy ? 1 : 0));
    return out.array();
  }

  /** Decodes a key from {@link #encode}; INVALID_ARGUMENT for anything else. */
  static ChunkKey decode(byte[] bytes) {
    try {
      ByteBuffer in = ByteBuffer.wrap(bytes);
      byte format = in.get();
      byte version = in.get();
      if (format != FORMAT || (version != VERSION && version != VERSION_WITHOUT_COPY)) {
        throw CatalogStatus.invalidArgument("chunk_key was not made by this server (unknown format); run the query again");
      }
      EntryId dataset = new EntryId(in.getLong(), in.getLong());
      long offset = in.getLong();
      long length = in.getLong();
      long timeNs = in.getLong();
      long inc = in.getLong();
      String partition = string(in);
      String layer = string(in);
      boolean fromCopy = version == VERSION && in.get() == 1;
      if (in.hasRemaining()) {
        throw CatalogStatus.invalidArgument("chunk_key has " + in.remaining() + " trailing bytes");
      }
      return new ChunkKey(dataset, partition, layer, offset, length, timeNs, inc, fromCopy);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw CatalogStatus.invalidArgument("chunk_key is truncated or malformed (" + bytes.length + " bytes)");
    }
  }

  private static String string(ByteBuffer in) {
    int n = in.getInt();
    if (n < 0 || n > in.remaining()) {
      throw new IllegalArgumentException("bad string length " + n);
    }
    byte[] b = new byte[n];
    in.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
