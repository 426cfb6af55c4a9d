package io.rrdflight.catalog;

import java.time.Instant;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The catalog's persistent state: datasets, partitions with their chunk indexes and schemas, and
 * registration tasks. Two implementations with the same transactions: {@link SqliteCatalogStore}
 * (embedded, the default) and {@link PostgresCatalogStore} ({@code --catalog jdbc:postgresql://…}).
 * Every method that changes state is one transaction: all of it is stored, or none of it. Reads may
 * come from any thread.
 */
interface CatalogStore extends AutoCloseable {

  /** A partition with its serialised chunk index, as registration produces it. */
  record IndexedPartition(Partition partition, byte[] chunkIndex, DatasetSchema schema) {}

  /**
   * One file's finished registration: its partitions (replacing {@code replaced}) and its task's
   * final state. A failed file has no partitions, only its failed task.
   */
  record FileCommit(List<IndexedPartition> added, List<Partition> replaced, Task finished) {
    public FileCommit {
      added = List.copyOf(added);
      replaced = List.copyOf(replaced);
    }

    static FileCommit failed(Task task) {
      return new FileCommit(List.of(), List.of(), task);
    }
  }

  /** Where the store lives, for logs and messages; never holds a password. */
  String describe();

  // --- datasets

  /** Inserts datasets together (a dataset and its blueprint dataset): all or none. */
  void insertDatasets(List<Dataset> datasets);

  /** Every dataset, ordered by name. */
  List<Dataset> datasets();

  /**
   * Deletes datasets (with their partitions and tasks) in one transaction. Entries that named one as
   * their blueprint dataset keep naming it, as in Rerun.
   */
  void deleteDatasets(List<EntryId> ids);

  /**
   * Stores a dataset's blueprint dataset and default blueprint, and its update time, together with the
   * companions made for it just now (none when it had them), in one transaction.
   */
  void updateBlueprints(Dataset dataset, List<Dataset> created);

  void renameDataset(EntryId id, String name, Instant now);

  // --- segment properties (Rerun's Get/Set/DeleteSegmentProperties; gone with their dataset)

  Optional<SegmentProperties> segmentProperties(EntryId datasetId, String segmentId);

  /** Stores a segment's properties, replacing any it had. */
  void putSegmentProperties(EntryId datasetId, SegmentProperties properties);

  /** Drops the properties of the segments named (those without any are skipped), in one transaction. */
  void deleteSegmentProperties(EntryId datasetId, Collection<String> segmentIds);

  // --- tables (Rerun's table entries; their rows live in Lance datasets, see LanceTables)

  /** Inserts a table entry together with the datasets made for it (its blueprint dataset): all or none. */
  void insertTable(Table table, List<Dataset> companions);

  /** Every table entry, ordered by name. */
  List<Table> tables();

  /** Deletes a table entry and the datasets it owns (its blueprint dataset, as {@link #deleteDatasets}) in one transaction. */
  void deleteTable(EntryId id, List<EntryId> owned);

  /**
   * Stores a table's blueprint dataset and default blueprint, and its update time, together with the
   * blueprint dataset made for it just now (none when it had one), in one transaction.
   */
  void updateTableBlueprints(Table table, List<Dataset> created);

  void renameTable(EntryId id, String name, Instant now);

  /** Points a table entry at another directory; its id, name and blueprints stay. */
  void moveTable(EntryId id, Path dir, Instant now);

  // --- partitions

  /**
   * Group commit: the finished registrations of several files in one transaction (one flush to
   * disk), each file's partitions together with its task's final state. Nothing of it is visible
   * before the commit; after a crash either the whole group is there or none of it.
   */
  void commitRegistrations(List<FileCommit> files, Instant now);

  void deletePartitions(List<Partition> partitions, EntryId datasetId, Instant now);

  List<Partition> partitions();

  Optional<byte[]> chunkIndex(EntryId datasetId, String partitionId, String layer);

  Optional<byte[]> schema(EntryId datasetId, String partitionId, String layer);

  // --- chunk times (what scans learnt about a partition's chunks; see ChunkTimesWriter)

  /** Some chunks' learnt times, each an opaque encoding (the SQL engine's), for one partition as registered. */
  record PartitionChunkTimes(Partition partition, java.util.Map<io.rrdflight.rrd.ChunkId, byte[]> times) {
    public PartitionChunkTimes {
      times = java.util.Map.copyOf(times);
    }
  }

  /** The chunk times stored for the partition with this very file stamp; empty when none. */
  java.util.Map<io.rrdflight.rrd.ChunkId, byte[]> chunkTimes(Partition partition);

  /**
   * Stores chunk times in one transaction that is no catalog change (the generation stays): chunks
   * already stored keep theirs, a partition no longer registered with that file stamp gets none, and
   * a partition's stored times stop growing at {@code maxBytesPerPartition}.
   */
  void addChunkTimes(List<PartitionChunkTimes> batch, long maxBytesPerPartition);

  /** The stored row count of the view ({@link ViewRowCount}) in the partition with this very file stamp; empty when none. */
  OptionalLong viewRowCount(Partition partition, String timeline, String contents);

  /**
   * Stores view row counts in one transaction that is no catalog change (the generation stays): a
   * count replaces the one stored for the same view, and a partition no longer registered with that
   * file stamp gets none.
   */
  void addViewRowCounts(List<ViewRowCount> counts);

  // --- compacted copies (a row goes when its partition's row goes)

  /** Which partition: dataset, partition id and layer. */
  record PartitionRef(EntryId datasetId, String partitionId, String layer) {}

  /**
   * Records {@code copy} as where {@code partition} is read from, in one transaction, if the
   * partition is still stored with the same file stamp; returns whether it was.
   */
  boolean putCompacted(Partition partition, CompactedCopy copy, byte[] chunkIndex);

  /** Forgets a partition's compacted copy (its file is the caller's to delete). */
  void dropCompacted(Partition partition);

  /** Every stored compacted copy, by partition. */
  Map<PartitionRef, CompactedCopy> compactedCopies();

  Optional<byte[]> compactedIndex(EntryId datasetId, String partitionId, String layer);

  // --- tasks

  void upsertTasks(List<Task> tasks);

  /**
   * Stores the tasks not stored yet; one already stored keeps what it has (another thread may have
   * stored it finished meanwhile, which a pending copy must never undo).
   */
  void addTasksIfAbsent(List<Task> tasks);

  /** Every stored task, oldest first. */
  List<Task> tasks();

  @Override
  void close();

  /** A counter that moves with every committed change, made by any server sharing the store. */
  long generation();

  /** Whether this store may change the catalog (false on a fleet node that is not the writer). */
  default boolean writable() {
    return true;
  }

  /** Says that server {@code nodeId}, reachable at {@code location}, is alive (a fleet's nodes table; nothing alone). */
  default void heartbeat(String nodeId, String location) {
  }

  /** The locations of the servers whose last heartbeat is younger than {@code within}, by node id; none alone. */
  default List<String> liveLocations(java.time.Duration within) {
    return List.of();
  }
}
