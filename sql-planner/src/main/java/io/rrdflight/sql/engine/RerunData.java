package io.rrdflight.sql.engine;

import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.IndexedChunk;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What the SQL layer reads: datasets and partitions, each dataset's columns and each partition's
 * chunk index from the catalog, and chunks decoded on demand. The server implements it over the
 * catalog and the rrd reader ({@link CatalogRerunData}); tests implement it in memory.
 */
public interface RerunData {
  List<Dataset> datasets();

  List<Partition> partitions(Dataset dataset);

  /**
   * Where the partition's compacted copy stands, as the {@code partitions} table shows it (lower-case
   * {@link io.rrdflight.catalog.CompactionState}); in-memory data has no copies to make.
   */
  default String compactionState(Partition partition) {
    return (partition.compacted().isPresent() ? io.rrdflight.catalog.CompactionState.DONE : io.rrdflight.catalog.CompactionState.NONE)
        .name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The union of the dataset's partitions' columns, in Rerun's order; empty while none is indexed. */
  DatasetSchema schema(Dataset dataset);

  /** The partition's chunks as its chunk index lists them, in file order. */
  List<IndexedChunk> chunks(Partition partition);

  /** Decodes one chunk; the caller closes it. Fails when the partition's file changed since indexing. */
  ChunkData read(Partition partition, IndexedChunk chunk, BufferAllocator allocator);

  /**
   * The partition's recording opened once for a scan that reads many of its chunks; the caller
   * closes it. By default every read goes through {@link #read} (in-memory data has nothing to open).
   */
  default PartitionChunks open(Partition partition) {
    return new PartitionChunks() {
      @Override
      public ChunkData read(IndexedChunk chunk, BufferAllocator allocator) {
        return RerunData.this.read(partition, chunk, allocator);
      }

      @Override
      public void close() {}
    };
  }

  /** One partition's chunks, read from its recording opened once ({@link #open}). Reads may run on several threads. */
  interface PartitionChunks extends AutoCloseable {
    /**
     * The chunks about to be read, in the order they will be: storage that can fetch ahead starts
     * fetching them (a local file ignores it). Announce each chunk once, and only chunks that will be
     * read: what is fetched ahead is held until read or closed.
     */
    default void announce(List<IndexedChunk> chunks) {}

    /** Decodes one chunk, as {@link RerunData#read}; the caller closes it. */
    ChunkData read(IndexedChunk chunk, BufferAllocator allocator);

    @Override
    void close();
  }

  /** Where the engine keeps what scans learnt about chunks beyond the process; nowhere by default. */
  default ChunkTimesStore chunkTimesStore() {
    return ChunkTimesStore.NONE;
  }

  /**
   * A number that changes whenever datasets, partitions or columns change, so planned queries can
   * be cached until then.
   */
  long generation();

  /** The table entries (Lance tables), queryable by their plain names; none by default. */
  default List<io.rrdflight.catalog.Table> tables() {
    return List.of();
  }

  /** Reads the rows of {@link #tables()}; only called when there are some. */
  default io.rrdflight.catalog.LanceTables lanceTables() {
    throw new UnsupportedOperationException("this data has no tables");
  }
}
