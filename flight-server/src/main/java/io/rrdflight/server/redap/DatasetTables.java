package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.proto.DataframePart;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A dataset's two tables as both wires serve them: the segment (partition) table and the manifest,
 * their schemas and their scans with a column projection and a segment filter. Recording properties
 * are read only when a property column is asked for: they cost chunk reads.
 */
final class DatasetTables {
  /** Which segments a scan covers. */
  record SegmentFilter(Predicate<String> keeps) {
    static final SegmentFilter ALL = new SegmentFilter(id -> true);

    static SegmentFilter only(Set<String> ids) {
      Set<String> copy = Set.copyOf(ids);
      return new SegmentFilter(copy::contains);
    }

    static SegmentFilter skipping(Set<String> ids) {
      Set<String> copy = Set.copyOf(ids);
      return new SegmentFilter(id -> !copy.contains(id));
    }
  }

  private final Catalog catalog;
  private final BufferAllocator allocator;

  DatasetTables(Catalog catalog, BufferAllocator allocator) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
  }

  private List<PartitionProperties.Column> propertyColumns(Dataset dataset, Vocabulary vocabulary) {
    return PartitionProperties.columns(catalog.datasetSchema(dataset.id()), vocabulary);
  }

  Schema segmentTableSchema(Dataset dataset, Vocabulary vocabulary) {
    return PartitionTable.schema(propertyColumns(dataset, vocabulary), timelines(dataset, vocabulary), vocabulary);
  }

  DataframePart segmentTable(Dataset dataset, List<String> requestedColumns, SegmentFilter filter, Vocabulary vocabulary) {
    List<PartitionProperties.Column> propertyColumns = propertyColumns(dataset, vocabulary);
    List<Timeline> timelines = timelines(dataset, vocabulary);
    List<String> columns = PartitionTable.projection(PartitionTable.schema(propertyColumns, timelines, vocabulary), requestedColumns);
    List<PartitionTable.Row> rows = PartitionTable.rows(catalog.partitions(dataset.id())).stream()
        .filter(r -> filter.keeps().test(r.partitionId()))
        .toList();
    List<PartitionProperties.Column> wanted = propertyColumns.stream().filter(c -> columns.contains(c.field().getName())).toList();
    try (PartitionProperties properties = PartitionProperties.read(catalog, rows, wanted, allocator)) {
      return PartitionTable.batch(rows, columns, properties, timelines, vocabulary, catalog, allocator);
    }
  }

  /** The index timelines whose per-segment start and end 0.28+ segment tables carry, by name. */
  private List<Timeline> timelines(Dataset dataset, Vocabulary vocabulary) {
    if (!vocabulary.segments()) {
      return List.of();
    }
    return catalog.datasetSchema(dataset.id()).timelines().stream().sorted(java.util.Comparator.comparing(Timeline::name)).toList();
  }

  Schema manifestSchema(Dataset dataset, Vocabulary vocabulary) {
    return DatasetManifest.schema(propertyColumns(dataset, vocabulary), vocabulary);
  }

  DataframePart manifest(Dataset dataset, List<String> requestedColumns, SegmentFilter filter, Vocabulary vocabulary) {
    List<PartitionProperties.Column> propertyColumns = propertyColumns(dataset, vocabulary);
    List<String> columns = PartitionTable.projection(DatasetManifest.schema(propertyColumns, vocabulary), requestedColumns);
    List<PartitionTable.Row> rows = DatasetManifest.rows(catalog.partitions(dataset.id())).stream()
        .filter(r -> filter.keeps().test(r.partitionId()))
        .toList();
    List<PartitionProperties.Column> wanted = propertyColumns.stream().filter(c -> columns.contains(c.field().getName())).toList();
    try (PartitionProperties properties = PartitionProperties.read(catalog, rows, wanted, allocator)) {
      return DatasetManifest.batch(catalog, rows, columns, properties, vocabulary, allocator);
    }
  }
}
