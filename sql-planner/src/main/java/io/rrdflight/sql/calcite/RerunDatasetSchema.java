package io.rrdflight.sql.calcite;

import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableMultimap;
import com.google.common.collect.Multimap;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.sql.engine.ChunkTimesCache;
import io.rrdflight.sql.engine.QueryView;
import io.rrdflight.sql.engine.RerunData;
import io.rrdflight.sql.engine.ViewSchema;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.calcite.schema.Function;
import org.apache.calcite.schema.Schema;
import org.apache.calcite.schema.Table;
import org.apache.calcite.schema.impl.AbstractSchema;

/**
 * One dataset as Calcite sees it: a catalog holding the schema {@value #SCHEMA}, whose tables are
 * {@code partitions}, {@code static_data} ({@code STATIC} is reserved in SQL) and one table per index timeline, plus the table function
 * {@code query_view}. The same tables and function are also reachable directly under the
 * dataset ({@code "ds".frame}), for SQL written without the schema name.
 */
public final class RerunDatasetSchema extends AbstractSchema {
  /** The one schema in each dataset's catalog. */
  public static final String SCHEMA = "rerun";
  public static final String STATIC_TABLE = "static_data";

  private final Dataset dataset;
  private final RerunData data;
  private final BufferAllocator allocator;
  private final long windowBytes;
  private final ChunkTimesCache timesCache;
  private final Inner inner = new Inner();

  /**
   * @param allocator where row-path scans put their (short-lived) batches
   * @param windowBytes the memory budget of one index window of a scan (see ViewBatches)
   * @param timesCache the chunks' times the engine's scans share (see ChunkTimesCache)
   */
  public RerunDatasetSchema(Dataset dataset, RerunData data, BufferAllocator allocator, long windowBytes, ChunkTimesCache timesCache) {
    this.dataset = requireNonNull(dataset, "dataset is null");
    this.data = requireNonNull(data, "data is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    if (windowBytes <= 0) {
      throw new IllegalArgumentException("windowBytes must be positive: " + windowBytes);
    }
    this.windowBytes = windowBytes;
    this.timesCache = requireNonNull(timesCache, "timesCache is null");
  }

  public Dataset dataset() {
    return dataset;
  }

  public RerunData data() {
    return data;
  }

  /** Where row-path scans allocate their (short-lived) batches. */
  BufferAllocator allocator() {
    return allocator;
  }

  long windowBytes() {
    return windowBytes;
  }

  ChunkTimesCache timesCache() {
    return timesCache;
  }

  /** The table for {@code view} over this dataset's current columns. */
  RerunTable table(QueryView view) {
    return new RerunTable(this, ViewSchema.of(view, data.schema(dataset)));
  }

  /** The tables of the dataset's schema, by name, in listing order. */
  public Map<String, Table> datasetTables() {
    Map<String, Table> tables = new LinkedHashMap<>();
    tables.put(PartitionTable.NAME, new PartitionTable(dataset, data));
    DatasetSchema columns = data.schema(dataset);
    tables.put(STATIC_TABLE, new RerunTable(this, ViewSchema.of(QueryView.of(null, "/**"), columns)));
    for (Timeline index : columns.timelines()) {
      // A timeline called "partitions" or "static_data" is still reachable through query_view.
      tables.putIfAbsent(index.name(), new RerunTable(this, ViewSchema.of(QueryView.of(index.name(), "/**"), columns)));
    }
    return tables;
  }

  @Override
  protected Map<String, Table> getTableMap() {
    return datasetTables();
  }

  @Override
  protected Multimap<String, Function> getFunctionMultimap() {
    return ImmutableMultimap.of(QueryViewTableMacro.NAME, new QueryViewTableMacro(this));
  }

  @Override
  protected Map<String, Schema> getSubSchemaMap() {
    return Map.of(SCHEMA, inner);
  }

  /** The {@value #SCHEMA} schema: the same tables and function. */
  private final class Inner extends AbstractSchema {
    @Override
    protected Map<String, Table> getTableMap() {
      return datasetTables();
    }

    @Override
    protected Multimap<String, Function> getFunctionMultimap() {
      return ImmutableMultimap.of(QueryViewTableMacro.NAME, new QueryViewTableMacro(RerunDatasetSchema.this));
    }
  }
}
