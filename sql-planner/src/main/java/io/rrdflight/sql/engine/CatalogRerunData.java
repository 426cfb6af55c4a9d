package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.Chunk;
import io.rrdflight.rrd.ComponentColumn;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.RecordingSource;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.complex.ListVector;
import java.util.OptionalLong;

/**
 * {@link RerunData} over the catalog and the rrd reader: partitions, dataset schemas and chunk
 * indexes come from the catalog (computed once at registration), chunks are decoded by offset from
 * their recordings (files or objects, read through the catalog), which must not have changed since
 * they were indexed. Decoded chunks may be kept across scans ({@link ChunkCache}); an object is asked once
 * whether it changed before a scan uses chunks kept of it.
 */
public final class CatalogRerunData implements RerunData {
  private final Catalog catalog;
  private final ChunkCache chunkCache;

  /** Keeping no decoded chunk between scans. */
  public CatalogRerunData(Catalog catalog) {
    this(catalog, ChunkCache.none());
  }

  /** @param chunkCache where decoded chunks are kept across scans; the caller closes it after the last scan */
  public CatalogRerunData(Catalog catalog, ChunkCache chunkCache) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.chunkCache = requireNonNull(chunkCache, "chunkCache is null");
  }

  @Override
  public List<Dataset> datasets() {
    return catalog.datasets();
  }

  @Override
  public List<Partition> partitions(Dataset dataset) {
    return catalog.partitions(dataset.id());
  }

  @Override
  public String compactionState(Partition partition) {
    return catalog.compactionState(partition).name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public DatasetSchema schema(Dataset dataset) {
    return catalog.datasetSchema(dataset.id());
  }

  @Override
  public List<IndexedChunk> chunks(Partition partition) {
    return catalog.chunks(partition).chunks();
  }

  @Override
  public ChunkData read(Partition partition, IndexedChunk info, BufferAllocator allocator) {
    try (PartitionChunks chunks = open(partition)) {
      return chunks.read(info, allocator);
    }
  }

  /**
   * The recording opened once (a file checked against its stamp once, an object without a request),
   * and chunks announced to it: object storage then runs its GETs ahead of the decoding, several at
   * once, within its own bound on the bytes fetched and not yet read ({@code S3Object}).
   */
  @Override
  public PartitionChunks open(Partition partition) {
    RecordingSource source = catalog.openSource(partition);
    // An object is checked against its ETag by the GETs that read it (openSource makes no request), so a
    // scan served from kept chunks asks the store once (a HEAD) before its first kept chunk: it then sees
    // that the object changed or went since registration, as its GETs would. A file was checked just now,
    // by openSource.
    ChunkCache.Scan kept = partition.file().isObject()
        ? chunkCache.scan(partition, () -> catalog.verifyObject(partition))
        : chunkCache.scan(partition);
    return new PartitionChunks() {
      @Override
      public void announce(List<IndexedChunk> chunks) {
        source.prefetch(chunks.stream().map(c -> new long[] {c.offset(), c.length()}).toList());
      }

      @Override
      public ChunkData read(IndexedChunk chunk, BufferAllocator allocator) {
        return kept.read(chunk, allocator, (c, a) -> chunkData(c, Catalog.readChunk(partition, source, c.offset(), c.length(), a)));
      }

      @Override
      public void close() {
        kept.close();
        try {
          source.close();
        } catch (IOException e) {
          throw Catalog.readFailure(partition, "cannot close " + partition.file().location(), e);
        }
      }
    };
  }

  static ChunkData chunkData(IndexedChunk info, Chunk chunk) {
    Map<String, BaseFixedWidthVector> timelines = new HashMap<>();
    chunk.indexColumns().forEach(ic -> timelines.put(ic.timeline().name(), ic.vector()));
    Map<String, ListVector> components = new HashMap<>();
    for (ComponentColumn cc : chunk.componentColumns()) {
      if (cc.vector() instanceof ListVector list) {
        components.put(cc.descriptor().component(), list);
      }
    }
    return new ChunkData(info, chunk.rowIds(), timelines, components, chunk);
  }

  /** Kept in the catalog next to each partition's chunk index, stamped with its file (counts in a table of their own). */
  @Override
  public ChunkTimesStore chunkTimesStore() {
    return new ChunkTimesStore() {
      @Override
      public Map<io.rrdflight.rrd.ChunkId, byte[]> load(Partition partition) {
        return catalog.chunkTimes(partition);
      }

      @Override
      public void save(Partition partition, Map<io.rrdflight.rrd.ChunkId, byte[]> times) {
        catalog.saveChunkTimes(partition, times);
      }

      @Override
      public OptionalLong rowCount(Partition partition, String timeline, String contents) {
        return catalog.viewRowCount(partition, timeline, contents);
      }

      @Override
      public void saveRowCount(io.rrdflight.catalog.ViewRowCount count) {
        catalog.saveViewRowCount(count);
      }
    };
  }

  @Override
  public long generation() {
    long h = 17;
    for (Dataset d : catalog.datasets()) {
      h = h * 31 + d.id().hashCode() * 31L + d.name().hashCode();
      for (Partition p : catalog.partitions(d.id())) {
        h = h * 31 + p.hashCode();
      }
    }
    for (io.rrdflight.catalog.Table t : catalog.tables()) {
      h = h * 31 + t.id().hashCode() * 31L + t.name().hashCode();
    }
    return h;
  }

  @Override
  public List<io.rrdflight.catalog.Table> tables() {
    return catalog.tables();
  }

  @Override
  public io.rrdflight.catalog.LanceTables lanceTables() {
    return catalog.lanceTables();
  }
}
