package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.FileStamp;
import io.rrdflight.catalog.IndexedRecording;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.RecordingSource;
import io.rrdflight.rrd.RrdFormatException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * {@link RerunData} over one recording held in memory, as a dataset of its own: queries over it run the
 * same scan and operators as queries over the catalog, and read no file and no catalog row. The server's
 * warm-up queries its bundled sample so (cli/ServerWarmup). Chunks are decoded from the source on each
 * read, as {@link CatalogRerunData} decodes a file's without a cache.
 */
public final class HeldRecordingData implements RerunData {
  private final Dataset dataset;
  private final List<Partition> partitions = new ArrayList<>();
  private final Map<Partition, List<IndexedChunk>> chunks = new HashMap<>();
  private final DatasetSchema schema;
  private final RecordingSource source;

  /**
   * @param datasetName the dataset's name in SQL
   * @param source the recording, read (never closed) by every chunk read
   * @param recordings its stores as the indexer found them; each is a partition
   */
  public HeldRecordingData(String datasetName, RecordingSource source, List<IndexedRecording> recordings) throws RrdFormatException {
    this.source = requireNonNull(source, "source is null");
    this.dataset = new Dataset(EntryId.random(), requireNonNull(datasetName, "datasetName is null"), Instant.EPOCH, Instant.EPOCH);
    DatasetSchema union = DatasetSchema.empty();
    FileStamp stamp = FileStamp.of(source);
    URI where;
    try {
      where = new URI("memory", source.name(), null); // quotes what a name may hold (spaces)
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("source " + source.name() + ": " + e.getMessage(), e);
    }
    for (IndexedRecording recording : recordings) {
      Partition partition = new Partition(dataset.id(), recording.recordingId(), Partition.DEFAULT_LAYER, where,
          stamp, recording.chunkCount(), recording.rowCount(), recording.sizeBytes(), Instant.EPOCH, recording.applicationId());
      partitions.add(partition);
      chunks.put(partition, ChunkIndex.fromBytes(recording.chunkIndex(), source.name()).chunks());
      union = union.union(recording.schema());
    }
    this.schema = union;
  }

  @Override
  public List<Dataset> datasets() {
    return List.of(dataset);
  }

  @Override
  public List<Partition> partitions(Dataset dataset) {
    return this.dataset.equals(dataset) ? List.copyOf(partitions) : List.of();
  }

  @Override
  public DatasetSchema schema(Dataset dataset) {
    return this.dataset.equals(dataset) ? schema : DatasetSchema.empty();
  }

  @Override
  public List<IndexedChunk> chunks(Partition partition) {
    return chunks.getOrDefault(partition, List.of());
  }

  @Override
  public ChunkData read(Partition partition, IndexedChunk chunk, BufferAllocator allocator) {
    return CatalogRerunData.chunkData(chunk, Catalog.readChunk(partition, source, chunk.offset(), chunk.length(), allocator));
  }

  /** Nothing changes: the recording is fixed. */
  @Override
  public long generation() {
    return 0;
  }
}
