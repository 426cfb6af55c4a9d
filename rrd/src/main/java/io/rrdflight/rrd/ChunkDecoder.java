package io.rrdflight.rrd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Turns an ArrowMsg into a {@link Chunk} ({@link #decode}) or into what the index needs of it
 * ({@link #summarize}). Keeps scratch buffers, so one decoder serves one thread.
 */
final class ChunkDecoder {
  /** Decompressed bytes. */
  private final Lz4Block.Output scratch = new Lz4Block.Output();
  /** Stored bytes of a payload read in part. */
  private final Lz4Block.Output stored = new Lz4Block.Output();

  /** What the index needs of the chunk, reading and decompressing only as much of it as that takes. */
  ChunkSummary summarize(FileBytes bytes, ArrowMsgHeader msg, ContentsWanted wanted) throws IOException {
    return ChunkSummary.of(new PayloadPrefix(bytes, msg, stored, scratch), wanted);
  }

  /** Checks the whole chunk payload as {@link #decode} would, without building vectors. */
  void verify(FileBytes bytes, ArrowMsgHeader msg) throws IOException {
    payload(bytes, msg).verify(scratch);
  }

  /**
   * The chunk's component columns and what they hold, from the whole payload checked as
   * {@link #verify} checks it, without vectors: a schema needs no more, and registering thousands
   * of small files spent half its time loading and freeing vectors for it.
   */
  List<ComponentContents> componentContents(FileBytes bytes, ArrowMsgHeader msg) throws IOException {
    RecordBatchLayout layout = payload(bytes, msg).layout(scratch);
    return contents(ChunkSchema.of(layout.schema(), bytes.file(), msg.dataOffset()), layout);
  }

  /** The component columns of a chunk's whole record batch, checked ({@link RecordBatchLayout#checkContents}). */
  static List<ComponentContents> contents(ChunkSchema schema, RecordBatchLayout layout) {
    List<ComponentContents> contents = new ArrayList<>();
    for (ChunkSchema.ComponentField f : schema.componentFields()) {
      RecordBatchLayout.Column column = layout.columns().get(f.position());
      contents.add(new ComponentContents(f.descriptor(), column.field(), layout.hasNonEmptyCell(column)));
    }
    return contents;
  }

  /**
   * Decodes the chunk into vectors owned by a new child of {@code allocator}. The stored bytes are
   * read straight into Arrow memory of {@code allocator}, freed once decoded: a read into a heap
   * array went through the JDK's own native buffer and left an array of every chunk's size behind
   * (1.6 GB of garbage for one pass over 16 recordings).
   */
  Chunk decode(FileBytes bytes, ArrowMsgHeader msg, BufferAllocator allocator) throws IOException {
    ArrowPayload.Loaded loaded;
    try (ArrowBuf stored = bytes.readInto(allocator, msg.dataOffset(), msg.dataLength(), "ArrowMsg payload")) {
      ByteBuffer payload = stored.nioBuffer(0, (int) msg.dataLength()).order(ByteOrder.LITTLE_ENDIAN);
      loaded = payload(bytes, msg, payload).load(allocator);
    }
    try {
      ChunkSchema schema = ChunkSchema.of(loaded.root().getSchema(), bytes.file(), msg.dataOffset());
      ChunkId id = msg.chunkId().or(schema::id)
          .orElseThrow(() -> new RrdFormatException(bytes.file(), msg.dataOffset(), "chunk has no id: neither ArrowMsg.chunk_id nor rerun:id is set"));
      return assemble(schema, id, loaded);
    } catch (IOException | RuntimeException e) {
      loaded.close();
      throw e;
    }
  }

  private static ArrowPayload payload(FileBytes bytes, ArrowMsgHeader msg) throws IOException {
    return payload(bytes, msg, bytes.read(msg.dataOffset(), msg.dataLength(), "ArrowMsg payload"));
  }

  /** The payload of {@code msg} whose stored bytes are {@code stored}. */
  private static ArrowPayload payload(FileBytes bytes, ArrowMsgHeader msg, ByteBuffer stored) {
    return new ArrowPayload(bytes.file(), msg.dataOffset(), stored, msg.lz4(), msg.uncompressedSize(), "chunk payload");
  }

  /** Builds the chunk from the loaded vectors, closing the indicator columns it leaves out. */
  private static Chunk assemble(ChunkSchema schema, ChunkId id, ArrowPayload.Loaded loaded) {
    List<FieldVector> all = loaded.root().getFieldVectors();
    List<FieldVector> kept = new ArrayList<>();
    List<Field> fields = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (schema.droppedFields().contains(i)) {
        all.get(i).close();
      } else {
        kept.add(all.get(i));
        // The written field, not the vector's: Arrow Java names list items "$data$" in its
        // vectors' fields, while the file (and Rerun's clients comparing types) say "item".
        fields.add(loaded.root().getSchema().getFields().get(i));
      }
    }
    List<IndexColumn> indexColumns = new ArrayList<>();
    for (ChunkSchema.IndexField f : schema.indexFields()) {
      indexColumns.add(new IndexColumn(f.timeline(), (BaseFixedWidthVector) all.get(f.position())));
    }
    List<ComponentColumn> componentColumns = new ArrayList<>();
    for (ChunkSchema.ComponentField f : schema.componentFields()) {
      componentColumns.add(new ComponentColumn(f.descriptor(), all.get(f.position())));
    }
    VectorSchemaRoot root = new VectorSchemaRoot(fields, kept, loaded.root().getRowCount());
    FixedSizeBinaryVector rowIds = (FixedSizeBinaryVector) all.get(schema.rowIdField());
    return new Chunk(id, schema.entityPath(), root, rowIds, indexColumns, componentColumns, loaded.allocator());
  }
}
