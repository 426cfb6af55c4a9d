package io.rrdflight.sql.testing;

import io.rrdflight.catalog.ColumnNames;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.catalog.DatasetSchema.ComponentColumn;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.FileStamp;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.StoreId;
import io.rrdflight.rrd.StoreKind;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.TimelineKind;
import io.rrdflight.sql.engine.ChunkData;
import io.rrdflight.sql.engine.RerunData;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * Datasets built in code: chunks described row by row, decoded into fresh Arrow vectors on each
 * read (as the rrd reader would), so tests control every RowId, clear and static write.
 */
public final class InMemoryRerunData implements RerunData {
  public static final Field FLOAT64_LIST = new Field("item", FieldType.nullable(new ArrowType.List()),
      List.of(new Field("item", FieldType.nullable(new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE)), null)));
  public static final Field BOOL_LIST = new Field("item", FieldType.nullable(new ArrowType.List()),
      List.of(new Field("item", FieldType.nullable(ArrowType.Bool.INSTANCE), null)));
  public static final Field UTF8_LIST = new Field("item", FieldType.nullable(new ArrowType.List()),
      List.of(new Field("item", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
  /** Rerun's Position3D, Points3D's positions: {@code List<FixedSizeList<3, Float32>>}. */
  public static final Field POSITION3D_LIST = new Field("item", FieldType.nullable(new ArrowType.List()),
      List.of(new Field("item", FieldType.nullable(new ArrowType.FixedSizeList(3)),
          List.of(new Field("item", FieldType.notNullable(new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)), null)))));
  /** Rerun's Color: {@code List<UInt32>}. */
  public static final Field UINT32_LIST = new Field("item", FieldType.nullable(new ArrowType.List()),
      List.of(new Field("item", FieldType.nullable(new ArrowType.Int(32, false)), null)));
  /** Rerun's Timestamp (RecordingInfo:start_time): {@code List<Int64>}. */
  public static final Field INT64_LIST = new Field("item", FieldType.nullable(new ArrowType.List()),
      List.of(new Field("item", FieldType.nullable(new ArrowType.Int(64, true)), null)));

  private final Map<String, Dataset> datasets = new LinkedHashMap<>();
  private final Map<String, Map<String, List<ChunkSpec>>> chunks = new LinkedHashMap<>();
  private final Map<String, Map<String, TimelineKind>> timelines = new HashMap<>();
  private final Map<String, Map<String, ComponentColumn>> components = new HashMap<>();
  private final AtomicLong rowIds = new AtomicLong(1);
  private final AtomicInteger chunkIds = new AtomicInteger();
  private final AtomicLong generation = new AtomicLong();
  public final AtomicInteger reads = new AtomicInteger();
  /** Chunks decoded and not yet closed, and the most there ever were at once. */
  public final AtomicInteger openChunks = new AtomicInteger();
  public final AtomicInteger maxOpenChunks = new AtomicInteger();
  /** Bytes each chunk claims on disk, what scan windows are sized by. */
  private long bytesPerChunk = 1000;

  /** One chunk: entity, per-timeline values, per-component cells (null = not logged in that row). */
  public record ChunkSpec(IndexedChunk info, long[] rowIds, Map<String, long[]> times, Map<String, List<List<?>>> cells) {}

  public Dataset dataset(String name) {
    return datasets.computeIfAbsent(name, n -> {
      chunks.put(n, new TreeMap<>());
      timelines.put(n, new TreeMap<>());
      components.put(n, new TreeMap<>());
      generation.incrementAndGet();
      return new Dataset(EntryId.random(), n, Instant.EPOCH, Instant.EPOCH);
    });
  }

  /** Sets the stored size later chunks claim (what scan windows are budgeted by). */
  public void bytesPerChunk(long bytes) {
    this.bytesPerChunk = bytes;
  }

  public ChunkBuilder chunk(String dataset, String partitionId, String entityPath) {
    dataset(dataset);
    return new ChunkBuilder(dataset, partitionId, entityPath);
  }

  public final class ChunkBuilder {
    private final String dataset;
    private final String partitionId;
    private final String entityPath;
    private final Map<String, long[]> times = new LinkedHashMap<>();
    private final Map<String, List<List<?>>> cells = new LinkedHashMap<>();
    private long[] explicitRowIds;

    ChunkBuilder(String dataset, String partitionId, String entityPath) {
      this.dataset = dataset;
      this.partitionId = partitionId;
      this.entityPath = entityPath;
    }

    public ChunkBuilder timeline(String name, TimelineKind kind, long... values) {
      times.put(name, values);
      timelines.get(dataset).put(name, kind);
      return this;
    }

    /** Explicit RowIds (the low half; the high half is 0), to pin duplicate tie-breaks. */
    public ChunkBuilder rowIds(long... ids) {
      explicitRowIds = ids;
      return this;
    }

    public ChunkBuilder scalars(String component, Double... values) {
      List<List<?>> list = new ArrayList<>();
      for (Double v : values) {
        list.add(v == null ? null : List.of(v));
      }
      return component(component, FLOAT64_LIST, list);
    }

    public ChunkBuilder component(String component, Field listField, List<List<?>> values) {
      cells.put(component, values);
      String key = entityPath + ":" + component;
      Map<String, ComponentColumn> known = components.get(dataset);
      boolean isStatic = times.isEmpty() || (known.containsKey(key) && known.get(key).isStatic());
      known.put(key, new ComponentColumn(entityPath, component, Optional.empty(), Optional.empty(), listField, isStatic,
          component.equals(ColumnNames.CLEAR_IS_RECURSIVE), false));
      return this;
    }

    public void add() {
      int rows = cells.values().iterator().next().size();
      long[] ids = explicitRowIds != null ? explicitRowIds : new long[rows];
      if (explicitRowIds == null) {
        for (int i = 0; i < rows; i++) {
          ids[i] = rowIds.getAndIncrement();
        }
      }
      Map<Timeline, IndexRange> ranges = new TreeMap<>();
      times.forEach((name, values) -> {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (long v : values) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        ranges.put(new Timeline(name, timelines.get(dataset).get(name)), new IndexRange(min, max));
      });
      List<ComponentDescriptor> descriptors = new ArrayList<>();
      cells.forEach((component, values) -> {
        if (values.stream().anyMatch(v -> v != null)) { // as the rrd index: components with a non-null cell
          descriptors.add(new ComponentDescriptor(component, Optional.empty(), Optional.empty()));
        }
      });
      IndexedChunk info = new IndexedChunk(new StoreId(StoreKind.RECORDING, "memory", partitionId), new ChunkId(0, chunkIds.incrementAndGet()),
          entityPath, times.isEmpty(), rows, new TreeMap<>(ranges), descriptors, 0, bytesPerChunk);
      chunks.get(dataset).computeIfAbsent(partitionId, p -> new ArrayList<>()).add(new ChunkSpec(info, ids, times, cells));
      generation.incrementAndGet();
    }
  }

  @Override
  public List<Dataset> datasets() {
    return List.copyOf(datasets.values());
  }

  @Override
  public List<Partition> partitions(Dataset dataset) {
    List<Partition> out = new ArrayList<>();
    chunks.get(dataset.name()).forEach((id, specs) -> out.add(new Partition(dataset.id(), id, Partition.DEFAULT_LAYER,
        URI.create("file:///memory/" + id + ".rrd"), new FileStamp("/memory/" + id + ".rrd", 1000, "0"),
        specs.size(), specs.stream().mapToLong(s -> s.info().rowCount()).sum(), 1000, Instant.parse("2024-01-15T10:00:00Z"), "memory")));
    return out;
  }

  @Override
  public DatasetSchema schema(Dataset dataset) {
    List<Timeline> indexes = new ArrayList<>();
    timelines.get(dataset.name()).forEach((n, k) -> indexes.add(new Timeline(n, k)));
    return new DatasetSchema(indexes, new ArrayList<>(components.get(dataset.name()).values()));
  }

  @Override
  public List<IndexedChunk> chunks(Partition partition) {
    String name = datasets.values().stream().filter(d -> d.id().equals(partition.datasetId())).findFirst().orElseThrow().name();
    return chunks.get(name).getOrDefault(partition.partitionId(), List.of()).stream().map(ChunkSpec::info).toList();
  }

  @Override
  public ChunkData read(Partition partition, IndexedChunk chunk, BufferAllocator allocator) {
    reads.incrementAndGet();
    maxOpenChunks.accumulateAndGet(openChunks.incrementAndGet(), Math::max);
    String name = datasets.values().stream().filter(d -> d.id().equals(partition.datasetId())).findFirst().orElseThrow().name();
    ChunkSpec spec = chunks.get(name).get(partition.partitionId()).stream().filter(s -> s.info().id().equals(chunk.id())).findFirst().orElseThrow();
    int rows = spec.rowIds().length;
    List<FieldVector> owned = new ArrayList<>();
    FixedSizeBinaryVector ids = new FixedSizeBinaryVector("rerun.controls.RowId", allocator, 16);
    owned.add(ids);
    ids.allocateNew(rows);
    for (int i = 0; i < rows; i++) {
      byte[] b = new byte[16];
      long v = spec.rowIds()[i];
      for (int k = 0; k < 8; k++) {
        b[15 - k] = (byte) (v >>> (8 * k));
      }
      ids.set(i, b);
    }
    ids.setValueCount(rows);
    Map<String, BaseFixedWidthVector> timelineVectors = new HashMap<>();
    spec.times().forEach((tl, values) -> {
      TimelineKind kind = timelines.get(name).get(tl);
      BaseFixedWidthVector v = switch (kind) {
        case SEQUENCE -> new BigIntVector(tl, allocator);
        case TIMESTAMP -> new TimeStampNanoVector(tl, allocator);
        case DURATION -> new DurationVector(tl, FieldType.nullable(DatasetSchema.arrowType(kind)), allocator);
      };
      owned.add(v);
      v.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        v.getDataBuffer().setLong((long) i * 8, values[i]);
        v.setIndexDefined(i);
      }
      v.setValueCount(rows);
      timelineVectors.put(tl, v);
    });
    Map<String, ListVector> componentVectors = new HashMap<>();
    spec.cells().forEach((component, values) -> {
      ComponentColumn column = components.get(name).get(spec.info().entityPath() + ":" + component);
      ListVector list = (ListVector) new Field(component, column.field().getFieldType(), column.field().getChildren()).createVector(allocator);
      owned.add(list);
      list.allocateNew();
      FieldVector child = list.getDataVector();
      int childIndex = 0;
      for (int r = 0; r < rows; r++) {
        List<?> cell = values.get(r);
        if (cell == null) {
          list.setNull(r);
          continue;
        }
        list.startNewValue(r);
        for (Object item : cell) {
          setItem(child, childIndex, item);
          childIndex++;
        }
        list.endValue(r, cell.size());
      }
      child.setValueCount(childIndex);
      list.setValueCount(rows);
      componentVectors.put(component, list);
    });
    return new ChunkData(chunk, ids, timelineVectors, componentVectors, () -> {
      owned.forEach(FieldVector::close);
      openChunks.decrementAndGet();
    });
  }

  /** Writes one item of a cell: a number, boolean or string, or (fixed-size lists) a list of items. */
  private static void setItem(FieldVector vector, int index, Object item) {
    if (item == null) {
      if (vector instanceof FixedSizeListVector f) {
        f.setNull(index);
      } else {
        ((BaseFixedWidthVector) vector).setNull(index);
      }
    } else if (vector instanceof Float8Vector f) {
      f.setSafe(index, ((Number) item).doubleValue());
    } else if (vector instanceof Float4Vector f) {
      f.setSafe(index, ((Number) item).floatValue());
    } else if (vector instanceof UInt4Vector u) {
      u.setSafe(index, ((Number) item).intValue());
    } else if (vector instanceof BigIntVector b) {
      b.setSafe(index, ((Number) item).longValue());
    } else if (vector instanceof BitVector b) {
      b.setSafe(index, ((Boolean) item) ? 1 : 0);
    } else if (vector instanceof VarCharVector s) {
      s.setSafe(index, ((String) item).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } else if (vector instanceof FixedSizeListVector f) {
      List<?> values = (List<?>) item;
      int at = f.startNewValue(index);
      for (int k = 0; k < values.size(); k++) {
        setItem(f.getDataVector(), at + k, values.get(k));
      }
    } else {
      throw new IllegalArgumentException("no test writer for " + vector.getField());
    }
  }

  @Override
  public long generation() {
    return generation.get();
  }
}
