package io.rrdflight.sql.view;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.Chunk;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.RrdReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * {@link RerunData} over the catalog and the rrd reader: partitions and chunk indexes come from the
 * catalog, chunks are decoded by offset from their files (which must not have changed since they
 * were indexed). A dataset's columns are the union over its partitions' chunk indexes; each
 * component's Arrow type is read once from one chunk that holds it, and kept until the dataset's
 * partitions change.
 *
 * <p>Not yet known from the index, so not applied: {@code rerun:is_semantically_empty} (every
 * column is taken as non-empty).
 */
public final class CatalogRerunData implements RerunData {
  private final Catalog catalog;
  private final BufferAllocator allocator;
  private final Map<String, CachedColumns> columns = new HashMap<>();

  private record CachedColumns(long generation, DatasetColumns columns) {}

  public CatalogRerunData(Catalog catalog, BufferAllocator allocator) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
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
  public List<ChunkInfo> chunks(Partition partition) {
    List<ChunkInfo> out = new ArrayList<>();
    for (IndexedChunk c : catalog.chunks(partition).chunks()) {
      out.add(info(c));
    }
    return out;
  }

  private static ChunkInfo info(IndexedChunk c) {
    Map<String, IndexRange> ranges = new HashMap<>();
    if (!c.isStatic()) {
      c.timeRanges().forEach((t, r) -> ranges.put(t.name(), new IndexRange(Math.max(r.min(), IndexRange.EVERYTHING.min()), r.max())));
    }
    java.util.Set<String> comps = new java.util.LinkedHashSet<>();
    c.components().forEach(d -> comps.add(d.component()));
    return new ChunkInfo(c.id().toString(), c.entityPath(), ranges, comps, c.rowCount(), c.offset(), c.length());
  }

  @Override
  public ChunkData read(Partition partition, ChunkInfo info, BufferAllocator allocator) {
    partition.file().verifyUnchanged(partition.partitionId());
    Chunk chunk;
    try {
      chunk = RrdReader.readChunk(partition.file().path(), info.offset(), info.length(), allocator);
    } catch (IOException e) {
      throw CatalogException.failed("Partition " + partition.partitionId() + ": cannot read chunk " + info.id() + " at byte "
          + info.offset() + " of " + partition.file().path() + ": " + e.getMessage(), e);
    }
    Map<String, BaseFixedWidthVector> timelines = new HashMap<>();
    chunk.indexColumns().forEach(ic -> timelines.put(ic.timeline().name(), ic.vector()));
    Map<String, ListVector> components = new HashMap<>();
    for (io.rrdflight.rrd.ComponentColumn cc : chunk.componentColumns()) {
      FieldVector v = cc.vector();
      if (v instanceof ListVector list) {
        components.put(cc.descriptor().component(), list);
      }
    }
    return new ChunkData(info, chunk.rowIds(), timelines, components, chunk);
  }

  @Override
  public synchronized DatasetColumns columns(Dataset dataset) {
    long generation = generationOf(dataset);
    CachedColumns cached = columns.get(dataset.name());
    if (cached != null && cached.generation() == generation) {
      return cached.columns();
    }
    DatasetColumns computed = compute(dataset);
    columns.put(dataset.name(), new CachedColumns(generation, computed));
    return computed;
  }

  private DatasetColumns compute(Dataset dataset) {
    Map<String, TimelineKind> indexes = new TreeMap<>();
    // (entity, component) → what is known of it, and one chunk to read its type from
    Map<String, IndexedChunk> sample = new LinkedHashMap<>();
    Map<String, Partition> samplePartition = new HashMap<>();
    Map<String, Boolean> isStatic = new HashMap<>();
    Map<String, io.rrdflight.rrd.ComponentDescriptor> descriptors = new HashMap<>();
    for (Partition p : partitions(dataset)) {
      ChunkIndex index;
      try {
        index = catalog.chunks(p);
      } catch (CatalogException e) {
        continue; // a partition whose file changed is reported when queried, not here
      }
      for (IndexedChunk c : index.chunks()) {
        c.timeRanges().keySet().forEach(t -> indexes.put(t.name(), TimelineKind.valueOf(t.kind().name())));
        for (io.rrdflight.rrd.ComponentDescriptor d : c.components()) {
          String key = c.entityPath() + "\u0000" + d.component();
          sample.putIfAbsent(key, c);
          samplePartition.putIfAbsent(key, p);
          descriptors.putIfAbsent(key, d);
          isStatic.merge(key, c.isStatic(), Boolean::logicalOr);
        }
      }
    }
    List<ComponentColumn> components = new ArrayList<>();
    Map<String, org.apache.arrow.vector.types.pojo.Field> typeByChunkColumn = new HashMap<>();
    for (Map.Entry<String, IndexedChunk> e : sample.entrySet()) {
      IndexedChunk c = e.getValue();
      io.rrdflight.rrd.ComponentDescriptor d = descriptors.get(e.getKey());
      org.apache.arrow.vector.types.pojo.Field field = typeByChunkColumn.computeIfAbsent(e.getKey(), k -> listField(samplePartition.get(k), c, d.component()));
      if (field == null) {
        continue;
      }
      components.add(new ComponentColumn(c.entityPath(), d.component(), d.archetype(), d.componentType(), field,
          isStatic.get(e.getKey()), d.component().equals(ComponentColumn.CLEAR_IS_RECURSIVE), false));
    }
    components.sort(RerunOrder.COMPONENTS);
    List<IndexColumn> indexColumns = new ArrayList<>();
    indexes.forEach((name, kind) -> indexColumns.add(new IndexColumn(name, kind)));
    return new DatasetColumns(indexColumns, components);
  }

  /** The component's list field, read from one chunk that has it; null if it is not a list. */
  private org.apache.arrow.vector.types.pojo.Field listField(Partition partition, IndexedChunk c, String component) {
    try (ChunkData data = read(partition, info(c), allocator)) {
      ListVector v = data.component(component);
      return v == null ? null : v.getField();
    }
  }

  @Override
  public long generation() {
    long h = 17;
    for (Dataset d : catalog.datasets()) {
      h = h * 31 + generationOf(d);
    }
    return h;
  }

  private long generationOf(Dataset d) {
    long h = d.id().hashCode() * 31L + d.name().hashCode();
    for (Partition p : catalog.partitions(d.id())) {
      h = h * 31 + p.hashCode();
    }
    return h;
  }

  /** For tests. */
  Optional<DatasetColumns> cachedColumns(String dataset) {
    return Optional.ofNullable(columns.get(dataset)).map(CachedColumns::columns);
  }
}
