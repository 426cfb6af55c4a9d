package io.rrdflight.server.redap;

import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.proto.DataframePart;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A list of chunks as QueryDataset and FindChunks answer it: one row per needed chunk. The client
 * groups rows by the chunk's segment id (it must be Utf8) and hands them back to FetchChunks, where
 * {@code chunk_key} says where the chunk lies.
 *
 * <p>0.27 clients read six columns. 0.28+ clients read five more: the chunk's byte length, its
 * uncompressed size (null: the index does not know it), where it starts on the queried timeline, and
 * two dictionary-encoded direct-URL columns, always null here — clients then fetch through
 * FetchChunks, which is what rrdflight wants: files are never exposed by URL.
 */
final class ChunkInfo {
  static final String CHUNK_ID = "chunk_id";
  static final String CHUNK_KEY = "chunk_key";
  static final String ENTITY_PATH = "chunk_entity_path";
  static final String IS_STATIC = "chunk_is_static";
  static final String BYTE_LEN = "chunk_byte_len";
  static final String BYTE_SIZE_UNCOMPRESSED = "chunk_byte_size_uncompressed";
  static final String TIMELINE_START = "chunk_timeline_start";
  static final String DIRECT_URL = "rerun_layer_direct_url";
  static final String DIRECT_URL_EXPIRES_AT = "rerun_layer_direct_url_expires_at";
  /** Rows per message: the answer for a large dataset is streamed, never one huge message. */
  static final int ROWS_PER_MESSAGE = 8192;

  private static final Map<String, String> CONTROL = Map.of("rerun:kind", "control");
  private static final long DIRECT_URL_DICTIONARY = 0;
  private static final long DIRECT_URL_EXPIRY_DICTIONARY = 1;
  private static final ArrowType.Int DICTIONARY_INDEX = new ArrowType.Int(32, true);

  static Schema schema(Vocabulary vocabulary) {
    List<Field> fields = new ArrayList<>(List.of(
        new Field(CHUNK_ID, new FieldType(false, new ArrowType.FixedSizeBinary(16), null, CONTROL), null),
        new Field(vocabulary.chunkIdColumn(), new FieldType(false, ArrowType.Utf8.INSTANCE, null, CONTROL), null),
        new Field(vocabulary.layerColumn(), FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
        new Field(CHUNK_KEY, FieldType.notNullable(ArrowType.Binary.INSTANCE), null),
        new Field(ENTITY_PATH, new FieldType(false, ArrowType.Utf8.INSTANCE, null, CONTROL), null),
        new Field(IS_STATIC, new FieldType(false, ArrowType.Bool.INSTANCE, null, CONTROL), null)));
    if (vocabulary.segments()) {
      fields.add(new Field(BYTE_LEN, FieldType.notNullable(new ArrowType.Int(64, false)), null));
      fields.add(new Field(BYTE_SIZE_UNCOMPRESSED, FieldType.nullable(new ArrowType.Int(64, false)), null));
      fields.add(new Field(TIMELINE_START, new FieldType(true, new ArrowType.Int(64, true), null, Map.of("rerun:kind", "index")), null));
      // In memory a dictionary-encoded field has the index type; the IPC writer writes the value type.
      fields.add(new Field(DIRECT_URL, new FieldType(true, DICTIONARY_INDEX,
          new DictionaryEncoding(DIRECT_URL_DICTIONARY, false, DICTIONARY_INDEX)), null));
      fields.add(new Field(DIRECT_URL_EXPIRES_AT, new FieldType(true, DICTIONARY_INDEX,
          new DictionaryEncoding(DIRECT_URL_EXPIRY_DICTIONARY, false, DICTIONARY_INDEX)), null));
    }
    return new Schema(fields);
  }

  /** A chunk of a partition, as one row. */
  record Row(Partition partition, IndexedChunk chunk) {
    ChunkKey key() {
      return new ChunkKey(partition.datasetId(), partition.partitionId(), partition.layer(), chunk.offset(), chunk.length(),
          chunk.id().timeNs(), chunk.id().inc(), partition.compacted().isPresent());
    }
  }

  private ChunkInfo() {}

  /**
   * The rows as one part; {@code timeline} is the queried index, whose start per chunk 0.28+ clients
   * read (null for static chunks and chunks without it).
   */
  static DataframePart batch(List<Row> rows, Vocabulary vocabulary, Optional<String> timeline, BufferAllocator allocator) {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema(vocabulary), allocator);
        VarCharVector urls = new VarCharVector(DIRECT_URL + "_values", allocator);
        BigIntVector expiries = new BigIntVector(DIRECT_URL_EXPIRES_AT + "_values", allocator)) {
      root.allocateNew();
      FixedSizeBinaryVector ids = (FixedSizeBinaryVector) root.getVector(CHUNK_ID);
      VarCharVector partitions = (VarCharVector) root.getVector(vocabulary.chunkIdColumn());
      VarCharVector layers = (VarCharVector) root.getVector(vocabulary.layerColumn());
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
      if (!vocabulary.segments()) {
        root.setRowCount(rows.size());
        return vocabulary.part(root, null);
      }
      UInt8Vector byteLen = (UInt8Vector) root.getVector(BYTE_LEN);
      BigIntVector start = (BigIntVector) root.getVector(TIMELINE_START);
      for (int i = 0; i < rows.size(); i++) {
        IndexedChunk chunk = rows.get(i).chunk();
        byteLen.setSafe(i, chunk.length());
        Optional<Long> min = timeline.flatMap(t -> startOn(chunk, t));
        if (min.isPresent()) {
          start.setSafe(i, min.get());
        } else {
          start.setNull(i);
        }
        ((FieldVector) root.getVector(BYTE_SIZE_UNCOMPRESSED)).setNull(i);
        ((FieldVector) root.getVector(DIRECT_URL)).setNull(i);
        ((FieldVector) root.getVector(DIRECT_URL_EXPIRES_AT)).setNull(i);
      }
      root.setRowCount(rows.size());
      urls.allocateNew();
      urls.setValueCount(0);
      expiries.allocateNew();
      expiries.setValueCount(0);
      DictionaryProvider.MapDictionaryProvider dictionaries = new DictionaryProvider.MapDictionaryProvider(
          new Dictionary(urls, new DictionaryEncoding(DIRECT_URL_DICTIONARY, false, DICTIONARY_INDEX)),
          new Dictionary(expiries, new DictionaryEncoding(DIRECT_URL_EXPIRY_DICTIONARY, false, DICTIONARY_INDEX)));
      return vocabulary.part(root, dictionaries);
    }
  }

  private static Optional<Long> startOn(IndexedChunk chunk, String timeline) {
    if (chunk.isStatic()) {
      return Optional.empty();
    }
    for (Map.Entry<Timeline, IndexRange> e : chunk.timeRanges().entrySet()) {
      if (e.getKey().name().equals(timeline)) {
        return Optional.of(e.getValue().min());
      }
    }
    return Optional.empty();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
