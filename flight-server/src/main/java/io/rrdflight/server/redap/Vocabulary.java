package io.rrdflight.server.redap;

import io.rrdflight.rrd.proto.DataframePart;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/**
 * The words a client generation reads inside Arrow answers — 0.27 says "partition", 0.28+
 * "segment" — and how it wants dataframe parts encoded (0.29+ LZ4-compressed). Answers are built once
 * by the model classes, which take their column names and encoding from here.
 *
 * @param segments true for the 0.28+ names
 * @param compressParts whether dataframe parts are LZ4-compressed
 * @param duplicatesInTasks whether registering a segment twice fails its task (0.41+) or the call
 * @param skipsUnknownSegments whether a query skips segment ids the dataset does not hold (0.33+) or fails NOT_FOUND
 * @param refusesRepeatsInRequest whether a registration naming one segment layer twice fails whole (0.30+)
 */
record Vocabulary(boolean segments, boolean compressParts, boolean duplicatesInTasks, boolean skipsUnknownSegments,
    boolean refusesRepeatsInRequest) {
  static final Vocabulary PARTITIONS = new Vocabulary(false, false, false, false, false);

  /** The vocabulary of the current call's client ({@link ClientVersion#current()}). */
  static Vocabulary current() {
    ClientVersion client = ClientVersion.current();
    return client.generation() == ClientVersion.Generation.PARTITIONS
        ? PARTITIONS
        : new Vocabulary(true, client.readsCompressedParts(), client.expectsDuplicatesInTasks(), client.expectsUnknownSegmentsSkipped(),
            client.expectsRepeatsInRequestRefused());
  }

  private String word() {
    return segments ? "segment" : "partition";
  }

  /** The id column of the segment/partition table, manifest and registration answers. */
  String idColumn() {
    return "rerun_" + word() + "_id";
  }

  String layerColumn() {
    return "rerun_" + word() + "_layer";
  }

  String typeColumn() {
    return "rerun_" + word() + "_type";
  }

  /** The column naming each chunk's segment in chunk lists (QueryDataset, FindChunks). */
  String chunkIdColumn() {
    return "chunk_" + word() + "_id";
  }

  /** The root's current batch as a dataframe part in this vocabulary's encoding. */
  DataframePart part(VectorSchemaRoot root) {
    return part(root, null);
  }

  /** Likewise, for a root with dictionary-encoded columns whose dictionaries {@code dictionaries} holds. */
  DataframePart part(VectorSchemaRoot root, DictionaryProvider dictionaries) {
    DataframePart part = ArrowIpc.dataframePart(root, dictionaries);
    return compressParts ? ArrowIpc.compressed(part) : part;
  }
}
