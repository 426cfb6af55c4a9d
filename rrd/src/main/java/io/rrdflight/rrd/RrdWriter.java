package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.rrdflight.rrd.proto.ArrowMsg;
import io.rrdflight.rrd.proto.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * Writes one .rrd stream the way Rerun 0.27.3's file sink does (see rrd-format.md §1–§4): the
 * 12-byte header {@code RRF2}, version, {@code 01 02 00 00} (LZ4, protobuf), then frames of
 * {@code kind, len} (u64 LE each) and a protobuf payload, and an empty End frame. ArrowMsgs whose
 * payload is not compressed get it LZ4-compressed as a raw block (no frame, no size prefix), which is
 * what the readers of every Rerun version decompress. No footer: a 0.27-shaped stream, which Rerun's
 * newer readers also accept (they then scan, as we do).
 *
 * <p>One writer, one thread. {@link #finish} writes the End frame and forces the file to disk;
 * {@link #close} without it leaves a stream without End (readers take it, with a warning).
 */
public final class RrdWriter implements AutoCloseable {
  private static final LZ4Compressor LZ4 = LZ4Factory.fastestInstance().fastCompressor();
  private static final byte OPTIONS_LZ4 = 1;
  private static final byte SERIALIZER_PROTOBUF = 2;

  private final Path file;
  private final FileChannel out;
  private long position;
  private long chunks;

  private RrdWriter(Path file, FileChannel out) {
    this.file = file;
    this.out = out;
  }

  /** Creates {@code file} (it must not exist) and writes the stream header for {@code version}. */
  public static RrdWriter create(Path file, CrateVersion version) throws IOException {
    requireNonNull(file, "file is null");
    requireNonNull(version, "version is null");
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    RrdWriter writer = new RrdWriter(file, channel);
    try {
      ByteBuffer header = ByteBuffer.allocate(StreamHeader.SIZE);
      header.put(StreamHeader.FOURCC)
          .put((byte) version.major()).put((byte) version.minor()).put((byte) version.patch()).put((byte) version.meta())
          .put(OPTIONS_LZ4).put(SERIALIZER_PROTOBUF).put((byte) 0).put((byte) 0);
      writer.write(header.flip());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    return writer;
  }

  /** Copies a message's protobuf bytes as they are (a SetStoreInfo read from another file, say). */
  public void writeRaw(MessageKind kind, ByteBuffer payload) throws IOException {
    requireNonNull(kind, "kind is null");
    frameHeader(kind, payload.remaining());
    write(payload);
  }

  /** Writes one chunk; an uncompressed payload is LZ4-compressed first. Returns where its ArrowMsg starts. */
  public long writeChunk(ArrowMsg msg) throws IOException {
    requireNonNull(msg, "msg is null");
    ArrowMsg stored = msg.getCompression() == Compression.COMPRESSION_LZ4 ? msg : compressed(msg);
    byte[] bytes = stored.toByteArray();
    frameHeader(MessageKind.ARROW_MSG, bytes.length);
    long at = position;
    write(ByteBuffer.wrap(bytes));
    chunks++;
    return at;
  }

  /** Bytes written so far. */
  public long position() {
    return position;
  }

  /** Chunks written so far. */
  public long chunks() {
    return chunks;
  }

  /** Ends the stream (an empty End frame, as 0.27 writes it) and forces the bytes to disk. */
  public void finish() throws IOException {
    frameHeader(MessageKind.END, 0);
    out.force(true);
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  private static ArrowMsg compressed(ArrowMsg msg) {
    byte[] raw = msg.getPayload().toByteArray();
    byte[] block = new byte[LZ4.maxCompressedLength(raw.length)];
    int length = LZ4.compress(raw, 0, raw.length, block, 0, block.length);
    return msg.toBuilder()
        .setCompression(Compression.COMPRESSION_LZ4)
        .setUncompressedSize(raw.length)
        .setPayload(ByteString.copyFrom(block, 0, length))
        .build();
  }

  private void frameHeader(MessageKind kind, long length) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(Frame.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    header.putLong(kind.code()).putLong(length);
    write(header.flip());
  }

  private void write(ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      position += out.write(bytes);
    }
  }

  @Override
  public String toString() {
    return "RrdWriter[" + file + "]";
  }
}
