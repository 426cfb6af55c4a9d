package io.rrdflight.server.redap;

import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.proto.DataframePart;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * QueryDataset's answer: one row per needed chunk, in Rerun's six columns. The client reads only
 * chunk_partition_id (to group rows per partition; it must be Utf8) and hands the rows back to
 * FetchChunks, where chunk_key says where the chunk lies.
 */
final class ChunkInfo {
  static final String CHUNK_ID = "chunk_id";
  static final String PARTITION_ID = "chunk_partition_id";
  static final String LAYER = "rerun_partition_layer";
  static final String CHUNK_KEY = "chunk_key";
  static final String ENTITY_PATH = "chunk_entity_path";
  static final String IS_STATIC = "chunk_is_static";
  /** Rows per message: the answer for a large dataset is streamed, never one huge message. */
  static final int ROWS_PER_MESSAGE = 8192;

  private static final Map<String, String> CONTROL = Map.of("rerun:kind", "control");

  static final Schema SCHEMA = new Schema(List.of(
      new Field(CHUNK_ID, new FieldType(false, new ArrowType.FixedSizeBinary(16), null, CONTROL), null),
      new Field(PARTITION_ID, new FieldType(false, ArrowType.Utf8.INSTANCE, null, CONTROL), null),
      new Field(LAYER, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
      new Field(CHUNK_KEY, FieldType.notNullable(ArrowType.Binary.INSTANCE), null),
      new Field(ENTITY_PATH, new FieldType(false, ArrowType.Utf8.INSTANCE, null, CONTROL), null),
      new Field(IS_STATIC, new FieldType(false, ArrowType.Bool.INSTANCE, null, CONTROL), null)));

  /** A chunk of a partition, as one row. */
  record Row(Partition partition, IndexedChunk chunk) {
    ChunkKey key() {
      return new ChunkKey(partition.datasetId(), partition.partitionId(), partition.layer(), chunk.offset(), chunk.length(),
          chunk.id().timeNs(), chunk.id().inc());
    }
  }

  private ChunkInfo() {}

  static DataframePart batch(List<Row> rows, BufferAllocator allocator) {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
      root.allocateNew();
      FixedSizeBinaryVector ids = (FixedSizeBinaryVector) root.getVector(CHUNK_ID);
      VarCharVector partitions = (VarCharVector) root.getVector(PARTITION_ID);
      VarCharVector layers = (VarCharVector) root.getVector(LAYER);
      VarBinaryVector keys = (VarBinaryVector) root.getVector(CHUNK_KEY);
      VarCharVector entities = (VarCharVector) root.getVector(ENTITY_PATH);
      BitVector statics = (BitVector) root.getVector(IS_STATIC);
      for (int i = 0; i < rows.size(); i++) {
        Row r = rows.get(i);
        ids.setSafe(i, r.chunk().id().toBytes());
        partitions.setSafe(i, utf8(r.partition().partitionId()));
        layers.setSafe(i, utf8(r.partition().layer()));
        keys.setSafe(i, r.key().encode());
        entities.setSafe(i, utf8(r.chunk().entityPath()));
        statics.setSafe(i, r.chunk().isStatic() ? 1 : 0);
      }
      root.setRowCount(rows.size());
      return ArrowIpc.dataframePart(root);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
