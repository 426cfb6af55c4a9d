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

  /** The union of the dataset's partitions' columns, in Rerun's order; empty while none is indexed. */
  DatasetSchema schema(Dataset dataset);

  /** The partition's chunks as its chunk index lists them, in file order. */
  List<IndexedChunk> chunks(Partition partition);

  /** Decodes one chunk; the caller closes it. Fails when the partition's file changed since indexing. */
  ChunkData read(Partition partition, IndexedChunk chunk, BufferAllocator allocator);

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
