package io.rrdflight.sql.testing;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.catalog.LanceTables;
import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.Table;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.sql.engine.ChunkData;
import io.rrdflight.sql.engine.RerunData;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/**
 * {@link RerunData} that passes each call on to another: a test overrides the calls it watches,
 * slows down or adds to. {@link #open} is not passed on: its default reads through {@link #read},
 * so an overridden {@code read} sees every chunk a scan reads.
 */
public abstract class ForwardingRerunData implements RerunData {
  protected final RerunData delegate;

  protected ForwardingRerunData(RerunData delegate) {
    this.delegate = requireNonNull(delegate, "delegate");
  }

  @Override
  public List<Dataset> datasets() {
    return delegate.datasets();
  }

  @Override
  public List<Partition> partitions(Dataset dataset) {
    return delegate.partitions(dataset);
  }

  @Override
  public String compactionState(Partition partition) {
    return delegate.compactionState(partition);
  }

  @Override
  public DatasetSchema schema(Dataset dataset) {
    return delegate.schema(dataset);
  }

  @Override
  public List<IndexedChunk> chunks(Partition partition) {
    return delegate.chunks(partition);
  }

  @Override
  public ChunkData read(Partition partition, IndexedChunk chunk, BufferAllocator allocator) {
    return delegate.read(partition, chunk, allocator);
  }

  @Override
  public long generation() {
    return delegate.generation();
  }

  @Override
  public List<Table> tables() {
    return delegate.tables();
  }

  @Override
  public LanceTables lanceTables() {
    return delegate.lanceTables();
  }
}
