package io.rrdflight.sql.calcite;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.Partition;
import io.rrdflight.sql.engine.RerunData;
import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.DataContext;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Linq4j;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.schema.ScannableTable;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * A dataset's partitions, one row per registered recording (per layer): the Rerun partition table's
 * columns, flattened for SQL (one layer and one storage URL per row), and {@code rrdflight_compaction}
 * (none, pending, done, failed, skipped: see the catalog's CompactionState). {@code rerun_num_chunks}
 * counts the chunks Rerun clients are served: the compacted copy's once it is read.
 */
public final class PartitionTable extends AbstractTable implements ScannableTable {
  public static final String NAME = "partitions";

  private final Dataset dataset;
  private final RerunData data;

  public PartitionTable(Dataset dataset, RerunData data) {
    this.dataset = requireNonNull(dataset, "dataset is null");
    this.data = requireNonNull(data, "data is null");
  }

  @Override
  public RelDataType getRowType(RelDataTypeFactory f) {
    return f.builder()
        .add("rerun_partition_id", SqlTypeName.VARCHAR)
        .add("rerun_layer_name", SqlTypeName.VARCHAR)
        .add("rerun_storage_url", SqlTypeName.VARCHAR)
        .add("rerun_num_chunks", SqlTypeName.BIGINT)
        .add("rerun_num_rows", SqlTypeName.BIGINT)
        .add("rerun_size_bytes", SqlTypeName.BIGINT)
        .add("rerun_last_updated_at", SqlTypeName.TIMESTAMP, 3)
        .add("rrdflight_compaction", SqlTypeName.VARCHAR)
        .build();
  }

  @Override
  public Enumerable<Object[]> scan(DataContext root) {
    List<Object[]> rows = new ArrayList<>();
    for (Partition p : data.partitions(dataset)) {
      rows.add(new Object[] {p.partitionId(), p.layer(), p.storageUrl().toString(), p.servedChunkCount(), p.rowCount(),
          p.sizeBytes(), p.registeredAt().toEpochMilli(), data.compactionState(p)});
    }
    return Linq4j.asEnumerable(rows);
  }
}
