package io.rrdflight.sql.calcite;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.DatasetSchema.ComponentColumn;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.sql.engine.QueryView;
import io.rrdflight.sql.engine.RerunData;
import io.rrdflight.sql.ResultBatches;
import io.rrdflight.sql.engine.ViewBatches;
import io.rrdflight.sql.engine.ViewCountBatches;
import io.rrdflight.sql.engine.ViewSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.plan.RelOptTable;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.schema.TranslatableTable;
import org.apache.calcite.schema.impl.AbstractTable;

/**
 * A query view of one dataset as a SQL table: a timeline table ({@code index=T, contents=/**}),
 * the static table ({@code index=None}), or what {@code query_view(...)} returns. Planned as a
 * {@link RerunTableScan}, which the {@link RerunRules} narrow to the partitions, index range and
 * columns a query needs.
 */
public final class RerunTable extends AbstractTable implements TranslatableTable {
  private final RerunDatasetSchema owner;
  private final ViewSchema viewSchema;

  public RerunTable(RerunDatasetSchema owner, ViewSchema viewSchema) {
    this.owner = requireNonNull(owner, "owner is null");
    this.viewSchema = requireNonNull(viewSchema, "viewSchema is null");
  }

  public Dataset dataset() {
    return owner.dataset();
  }

  public ViewSchema viewSchema() {
    return viewSchema;
  }

  public QueryView view() {
    return viewSchema.view();
  }

  /** The view's index column position among the scan's columns (1-based after the partition id), if any. */
  public Optional<Integer> indexColumn() {
    List<Timeline> indexes = viewSchema.indexes();
    for (int i = 0; i < indexes.size(); i++) {
      if (view().index().isPresent() && indexes.get(i).name().equals(view().index().get())) {
        return Optional.of(1 + i);
      }
    }
    return Optional.empty();
  }

  public Optional<Timeline> index() {
    return indexColumn().map(i -> viewSchema.indexes().get(i - 1));
  }

  @Override
  public RelDataType getRowType(RelDataTypeFactory f) {
    RelDataTypeFactory.Builder b = f.builder();
    b.add(ViewSchema.PARTITION_ID, RerunSqlTypes.partitionIdType(f));
    for (Timeline i : viewSchema.indexes()) {
      b.add(i.name(), RerunSqlTypes.indexType(f, i));
    }
    for (ComponentColumn c : viewSchema.components()) {
      b.add(c.name(), RerunSqlTypes.componentType(f, c));
    }
    return b.build();
  }

  @Override
  public RelNode toRel(RelOptTable.ToRelContext context, RelOptTable relOptTable) {
    return RerunTableScan.create(context.getCluster(), relOptTable, this, RerunScanSpec.ALL);
  }

  /** The view this table reads once {@code spec} has narrowed it. */
  public QueryView narrowed(RerunScanSpec spec) {
    QueryView v = view();
    if (spec.partitionIds().isPresent()) {
      java.util.SortedSet<String> ids = new java.util.TreeSet<>(spec.partitionIds().get());
      v.partitionIds().ifPresent(ids::retainAll);
      v = v.withPartitionIds(ids);
    }
    return v.withRange(v.range().intersection(spec.range()).orElse(spec.range()));
  }

  /** The Arrow fields the scan returns for {@code spec}, named {@code names}. */
  public Schema arrowSchema(RerunScanSpec spec, List<String> names) {
    if (spec.countOnly()) {
      return ViewCountBatches.schema(names.get(0));
    }
    List<Field> all = viewSchema.arrowSchema().getFields();
    List<Field> out = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      Field f = all.get(spec.viewColumn(i));
      out.add(new Field(names.get(i), f.getFieldType(), f.getChildren()));
    }
    return new Schema(out);
  }

  /** The partitions the scan reads for {@code spec}, in the order it reads them. */
  public List<Partition> partitions(RerunScanSpec spec) {
    QueryView v = narrowed(spec);
    return spec.empty() ? List.of() : data().partitions(dataset()).stream().filter(p -> v.includesPartition(p.partitionId())).toList();
  }

  /**
   * Throws NOT_FOUND when any of {@code ids} is no partition of the dataset: slice tickets are not
   * signed, so one naming another dataset's partition (or one deleted since the query was planned) is
   * refused rather than answered as an empty slice.
   */
  public void requirePartitions(java.util.Collection<String> ids) {
    java.util.Set<String> known = new java.util.HashSet<>();
    data().partitions(dataset()).forEach(p -> known.add(p.partitionId()));
    List<String> unknown = ids.stream().filter(id -> !known.contains(id)).limit(3).toList();
    if (!unknown.isEmpty()) {
      throw CatalogException.notFound("Dataset " + dataset().name() + " has no partition " + String.join(", ", unknown)
          + "; the query's ticket names partitions it does not have (it changed since the query, or the ticket is not one"
          + " this server made): ask for a new FlightInfo");
    }
  }

  /** Streams the scan's rows as Arrow batches: the columnar path; for a count-only spec, one row of the count. */
  public ResultBatches open(RerunScanSpec spec, List<String> names, BufferAllocator allocator, int batchRows, long limit) {
    QueryView v = narrowed(spec);
    List<Partition> partitions = partitions(spec);
    if (spec.countOnly()) {
      return new ViewCountBatches(viewSchema.withView(v), partitions, data(), allocator, batchRows, owner.windowBytes(), owner.timesCache(),
          names.get(0));
    }
    int[] projection = new int[names.size()];
    for (int i = 0; i < projection.length; i++) {
      projection[i] = spec.viewColumn(i);
    }
    return new ViewBatches(viewSchema.withView(v), partitions, data(), allocator, batchRows, projection, arrowSchema(spec, names), limit,
        owner.windowBytes(), owner.timesCache());
  }

  public RerunData data() {
    return owner.data();
  }

  /** Where scans allocate outside a query execution (an execution brings its own allocator). */
  BufferAllocator allocator() {
    return owner.allocator();
  }
}
