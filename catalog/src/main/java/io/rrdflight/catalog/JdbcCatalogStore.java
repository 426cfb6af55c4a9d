package io.rrdflight.catalog;

import io.rrdflight.rrd.ChunkId;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalLong;

/**
 * The SQL both stores share: one schema (its only dialect word is the binary column type), and
 * statements that SQLite and PostgreSQL read alike ({@code ON CONFLICT … DO UPDATE}, {@code excluded}).
 * A subclass opens the connection, creates the schema with {@link #createSchema}, and says how its
 * errors read. Thread-safe: every method holds this store's monitor, because the one JDBC connection
 * is shared and its transactions must never interleave (query threads read chunk indexes and schemas
 * without the catalog's lock).
 */
abstract class JdbcCatalogStore implements CatalogStore {
  /**
   * 3: dataset kinds and blueprint settings, partition sizes as Rerun counts them. 4: asset datasets
   * (a dataset kind version 3 cannot read), segment properties, tables' blueprint columns; a version 3
   * catalog is upgraded in place, so an older rrdflight refuses it at open instead of failing on its
   * first asset dataset.
   */
  static final int SCHEMA_VERSION = 4;
  /** The oldest version this rrdflight upgrades: the changes since are all additions made above. */
  private static final int UPGRADES_FROM = 3;

  protected final Connection db;

  protected JdbcCatalogStore(Connection db) {
    this.db = db;
  }

  /**
   * Creates the tables when missing and checks the schema version; leaves the connection out of
   * auto-commit. {@code binaryType}: BLOB in SQLite, BYTEA in PostgreSQL. Integers are BIGINT
   * (PostgreSQL's INTEGER has 32 bits; SQLite reads BIGINT as its one integer type).
   */
  protected static void createSchema(Connection db, String binaryType, String where) throws SQLException {
    db.setAutoCommit(true);
    try (Statement s = db.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      s.execute("""
          CREATE TABLE IF NOT EXISTS datasets (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            blueprint_dataset_id TEXT,
            default_blueprint TEXT,
            created_at_ns BIGINT NOT NULL,
            updated_at_ns BIGINT NOT NULL)""");
      s.execute("""
          CREATE TABLE IF NOT EXISTS partitions (
            dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
            partition_id TEXT NOT NULL,
            layer TEXT NOT NULL,
            storage_url TEXT NOT NULL,
            file_path TEXT NOT NULL,
            file_size BIGINT NOT NULL,
            file_modified_ns TEXT NOT NULL,
            chunk_count BIGINT NOT NULL,
            row_count BIGINT NOT NULL,
            size_bytes BIGINT NOT NULL,
            registered_at_ns BIGINT NOT NULL,
            chunk_index %1$s NOT NULL,
            schema %1$s NOT NULL,
            application_id TEXT NOT NULL,
            PRIMARY KEY (dataset_id, partition_id, layer))""".formatted(binaryType));
      s.execute("""
          CREATE TABLE IF NOT EXISTS tasks (
            id TEXT PRIMARY KEY,
            dataset_id TEXT NOT NULL,
            source TEXT NOT NULL,
            layer TEXT NOT NULL,
            status TEXT NOT NULL,
            message TEXT,
            partition_ids TEXT NOT NULL,
            created_at_ns BIGINT NOT NULL,
            updated_at_ns BIGINT NOT NULL)""");
      // Tables came after schema version 3 and need no migration: the table is new, nothing else changes.
      // Their blueprint settings came later (as Rerun 0.41 gave tables blueprint datasets): no foreign key,
      // since a table keeps naming a blueprint dataset deleted on its own, as a dataset does.
      s.execute("""
          CREATE TABLE IF NOT EXISTS table_entries (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            created_at_ns BIGINT NOT NULL,
            updated_at_ns BIGINT NOT NULL,
            blueprint_dataset_id TEXT,
            default_blueprint TEXT)""");
      // A table made before has the columns added (null: no blueprint dataset, which UpdateTableEntry makes on demand).
      for (String column : List.of("blueprint_dataset_id", "default_blueprint")) {
        if (!hasColumn(db, "table_entries", column)) {
          s.execute("ALTER TABLE table_entries ADD COLUMN " + column + " TEXT");
        }
      }
      // What scans learnt about chunks (a cache that outlives the process): added after version 3
      // without a migration, as tables were; gone with its partition, and stamped with its file.
      s.execute("""
          CREATE TABLE IF NOT EXISTS chunk_times (
            dataset_id TEXT NOT NULL,
            partition_id TEXT NOT NULL,
            layer TEXT NOT NULL,
            file_size BIGINT NOT NULL,
            file_version TEXT NOT NULL,
            chunk_id TEXT NOT NULL,
            times %1$s NOT NULL,
            PRIMARY KEY (dataset_id, partition_id, layer, chunk_id),
            FOREIGN KEY (dataset_id, partition_id, layer) REFERENCES partitions(dataset_id, partition_id, layer)
              ON DELETE CASCADE)""".formatted(binaryType));
      // Whole views' row counts (answers to a bare COUNT(*)), a cache as chunk times are, keyed by
      // view. Older data dirs kept them in chunk_times under a reserved chunk id (its time all ones):
      // those rows go once, when this table is made.
      boolean countsNew = !hasTable(db, "view_row_counts");
      s.execute("""
          CREATE TABLE IF NOT EXISTS view_row_counts (
            dataset_id TEXT NOT NULL,
            partition_id TEXT NOT NULL,
            layer TEXT NOT NULL,
            file_size BIGINT NOT NULL,
            file_version TEXT NOT NULL,
            timeline TEXT NOT NULL,
            contents TEXT NOT NULL,
            row_count BIGINT NOT NULL,
            PRIMARY KEY (dataset_id, partition_id, layer, timeline, contents),
            FOREIGN KEY (dataset_id, partition_id, layer) REFERENCES partitions(dataset_id, partition_id, layer)
              ON DELETE CASCADE)""");
      if (countsNew) {
        s.execute("DELETE FROM chunk_times WHERE chunk_id LIKE 'chunk_FFFFFFFFFFFFFFFF%'");
      }
      // Compacted copies came later too: a new table, and a row goes with its partition's (the cascade),
      // so registering a file again or deleting its partition or dataset drops the copy in the same transaction.
      s.execute("""
          CREATE TABLE IF NOT EXISTS compacted_copies (
            dataset_id TEXT NOT NULL,
            partition_id TEXT NOT NULL,
            layer TEXT NOT NULL,
            copy_path TEXT NOT NULL,
            copy_size BIGINT NOT NULL,
            copy_version TEXT NOT NULL,
            chunk_count BIGINT NOT NULL,
            chunk_index %1$s NOT NULL,
            copy_crc32c BIGINT,
            PRIMARY KEY (dataset_id, partition_id, layer),
            FOREIGN KEY (dataset_id, partition_id, layer) REFERENCES partitions(dataset_id, partition_id, layer) ON DELETE CASCADE)"""
          .formatted(binaryType));
      // The copy's checksum came later still: a table made before has the column added (null: such a
      // copy cannot be checked, so it is made again).
      if (!hasColumn(db, "compacted_copies", "copy_crc32c")) {
        s.execute("ALTER TABLE compacted_copies ADD COLUMN copy_crc32c BIGINT");
      }
      // Segment properties (rerun-sdk 0.41's asset datasets) came after version 3 too: a new table, whose
      // rows go with their dataset (the cascade).
      s.execute("""
          CREATE TABLE IF NOT EXISTS segment_properties (
            dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
            segment_id TEXT NOT NULL,
            batch %1$s NOT NULL,
            revision BIGINT NOT NULL,
            PRIMARY KEY (dataset_id, segment_id))""".formatted(binaryType));
      s.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '" + SCHEMA_VERSION + "') ON CONFLICT (key) DO NOTHING");
      // The change counter servers sharing the catalog poll (a row, not a schema change: older catalogs gain it here).
      s.execute("INSERT INTO meta(key, value) VALUES ('generation', '0') ON CONFLICT (key) DO NOTHING");
      String version = queryString(db, "SELECT value FROM meta WHERE key = 'schema_version'");
      if (String.valueOf(UPGRADES_FROM).equals(version)) {
        // The tables and columns the newer version adds were made above; only the number is left.
        s.execute("UPDATE meta SET value = '" + SCHEMA_VERSION + "' WHERE key = 'schema_version'");
        version = String.valueOf(SCHEMA_VERSION);
      }
      if (!String.valueOf(SCHEMA_VERSION).equals(version)) {
        throw CatalogException.failed("Catalog " + where + " has schema version " + version
            + " but this rrdflight reads version " + SCHEMA_VERSION + "; use a matching rrdflight or another catalog", null);
      }
    }
    db.setAutoCommit(false);
  }

  private static boolean hasTable(Connection db, String table) throws SQLException {
    try (ResultSet rs = db.getMetaData().getTables(null, null, table, null)) {
      return rs.next();
    }
  }

  private static boolean hasColumn(Connection db, String table, String column) throws SQLException {
    // In the connection's own schema: a table of that name in another schema of the database is not ours.
    try (ResultSet rs = db.getMetaData().getColumns(null, db.getSchema(), table, null)) {
      while (rs.next()) {
        if (column.equalsIgnoreCase(rs.getString("COLUMN_NAME"))) {
          return true;
        }
      }
    }
    return false;
  }

  // --- datasets ---------------------------------------------------------------------------------

  @Override
  public synchronized void insertDatasets(List<Dataset> datasets) {
    inTransaction(() -> insertDatasetRows(datasets));
  }

  private void insertDatasetRows(List<Dataset> datasets) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement("""
        INSERT INTO datasets(id, name, kind, blueprint_dataset_id, default_blueprint, created_at_ns, updated_at_ns)
        VALUES (?,?,?,?,?,?,?)""")) {
      for (Dataset d : datasets) {
        bindEntry(ps, d.id(), d.name(), d.kind().word(), d.blueprintDataset(), d.defaultBlueprint(), d.createdAt(), d.updatedAt());
        ps.executeUpdate();
      }
    }
  }

  /**
   * The seven columns, in this order, of a new row of datasets or table_entries: id, name, the
   * dataset's kind or the table's path, the blueprint settings both kinds of entry have, and times.
   */
  private static void bindEntry(PreparedStatement ps, EntryId id, String name, String kindOrPath, Optional<EntryId> blueprintDataset,
      Optional<String> defaultBlueprint, Instant createdAt, Instant updatedAt) throws SQLException {
    ps.setString(1, id.toHex());
    ps.setString(2, name);
    ps.setString(3, kindOrPath);
    ps.setString(4, blueprintDataset.map(EntryId::toHex).orElse(null));
    ps.setString(5, defaultBlueprint.orElse(null));
    ps.setLong(6, nanos(createdAt));
    ps.setLong(7, nanos(updatedAt));
  }

  @Override
  public synchronized List<Dataset> datasets() {
    List<Dataset> out = new ArrayList<>();
    read(() -> {
      try (Statement s = db.createStatement();
          ResultSet rs = s.executeQuery("""
              SELECT id, name, kind, blueprint_dataset_id, default_blueprint, created_at_ns, updated_at_ns FROM datasets""")) {
        while (rs.next()) {
          out.add(new Dataset(EntryId.parse(rs.getString(1)), rs.getString(2), DatasetKind.ofWord(rs.getString(3)),
              Optional.ofNullable(rs.getString(4)).map(EntryId::parse), Optional.ofNullable(rs.getString(5)),
              instant(rs.getLong(6)), instant(rs.getLong(7))));
        }
      }
    });
    // Sorted here, not by ORDER BY: PostgreSQL would sort text by the database's locale.
    out.sort(Comparator.comparing(Dataset::name));
    return out;
  }

  @Override
  public synchronized void deleteDatasets(List<EntryId> ids) {
    inTransaction(() -> deleteDatasetRows(ids));
  }

  private void deleteDatasetRows(List<EntryId> ids) throws SQLException {
    for (EntryId id : ids) {
      try (PreparedStatement ps = db.prepareStatement("DELETE FROM datasets WHERE id = ?")) {
        ps.setString(1, id.toHex());
        ps.executeUpdate();
      }
      try (PreparedStatement ps = db.prepareStatement("DELETE FROM tasks WHERE dataset_id = ?")) {
        ps.setString(1, id.toHex());
        ps.executeUpdate();
      }
    }
  }

  @Override
  public synchronized void updateBlueprints(Dataset d, List<Dataset> created) {
    inTransaction(() -> {
      insertDatasetRows(created);
      writeBlueprints("datasets", d.id(), d.blueprintDataset(), d.defaultBlueprint(), d.updatedAt());
    });
  }

  /** The blueprint settings of a row of {@code table} (datasets or table_entries), and its update time. */
  private void writeBlueprints(String table, EntryId id, Optional<EntryId> blueprintDataset, Optional<String> defaultBlueprint,
      Instant updatedAt) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement(
        "UPDATE " + table + " SET blueprint_dataset_id = ?, default_blueprint = ?, updated_at_ns = ? WHERE id = ?")) {
      ps.setString(1, blueprintDataset.map(EntryId::toHex).orElse(null));
      ps.setString(2, defaultBlueprint.orElse(null));
      ps.setLong(3, nanos(updatedAt));
      ps.setString(4, id.toHex());
      ps.executeUpdate();
    }
  }

  @Override
  public synchronized void renameDataset(EntryId id, String name, Instant now) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement("UPDATE datasets SET name = ?, updated_at_ns = ? WHERE id = ?")) {
        ps.setString(1, name);
        ps.setLong(2, nanos(now));
        ps.setString(3, id.toHex());
        ps.executeUpdate();
      }
    });
  }

  // --- segment properties -------------------------------------------------------------------------

  @Override
  public synchronized Optional<SegmentProperties> segmentProperties(EntryId datasetId, String segmentId) {
    List<SegmentProperties> out = new ArrayList<>();
    read(() -> {
      try (PreparedStatement ps = db.prepareStatement("SELECT batch, revision FROM segment_properties WHERE dataset_id = ? AND segment_id = ?")) {
        ps.setString(1, datasetId.toHex());
        ps.setString(2, segmentId);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            out.add(new SegmentProperties(segmentId, rs.getBytes(1), rs.getLong(2)));
          }
        }
      }
    });
    return out.stream().findFirst();
  }

  @Override
  public synchronized void putSegmentProperties(EntryId datasetId, SegmentProperties properties) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement("""
          INSERT INTO segment_properties(dataset_id, segment_id, batch, revision) VALUES (?,?,?,?)
          ON CONFLICT (dataset_id, segment_id) DO UPDATE SET batch = excluded.batch, revision = excluded.revision""")) {
        ps.setString(1, datasetId.toHex());
        ps.setString(2, properties.segmentId());
        ps.setBytes(3, properties.batch());
        ps.setLong(4, properties.revision());
        ps.executeUpdate();
      }
    });
  }

  @Override
  public synchronized void deleteSegmentProperties(EntryId datasetId, Collection<String> segmentIds) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement("DELETE FROM segment_properties WHERE dataset_id = ? AND segment_id = ?")) {
        for (String segmentId : segmentIds) {
          ps.setString(1, datasetId.toHex());
          ps.setString(2, segmentId);
          ps.executeUpdate();
        }
      }
    });
  }

  // --- tables -----------------------------------------------------------------------------------

  @Override
  public synchronized void insertTable(Table t, List<Dataset> companions) {
    inTransaction(() -> {
      insertDatasetRows(companions);
      try (PreparedStatement ps = db.prepareStatement("""
          INSERT INTO table_entries(id, name, path, blueprint_dataset_id, default_blueprint, created_at_ns, updated_at_ns)
          VALUES (?,?,?,?,?,?,?)""")) {
        bindEntry(ps, t.id(), t.name(), t.path().toString(), t.blueprintDataset(), t.defaultBlueprint(), t.createdAt(), t.updatedAt());
        ps.executeUpdate();
      }
    });
  }

  @Override
  public synchronized List<Table> tables() {
    List<Table> out = new ArrayList<>();
    read(() -> {
      try (Statement s = db.createStatement();
          ResultSet rs = s.executeQuery("""
              SELECT id, name, path, blueprint_dataset_id, default_blueprint, created_at_ns, updated_at_ns
              FROM table_entries ORDER BY name""")) {
        while (rs.next()) {
          out.add(new Table(EntryId.parse(rs.getString(1)), rs.getString(2), Path.of(rs.getString(3)),
              Optional.ofNullable(rs.getString(4)).map(EntryId::parse), Optional.ofNullable(rs.getString(5)),
              instant(rs.getLong(6)), instant(rs.getLong(7))));
        }
      }
    });
    return out;
  }

  @Override
  public synchronized void deleteTable(EntryId id, List<EntryId> owned) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement("DELETE FROM table_entries WHERE id = ?")) {
        ps.setString(1, id.toHex());
        ps.executeUpdate();
      }
      deleteDatasetRows(owned);
    });
  }

  @Override
  public synchronized void updateTableBlueprints(Table t, List<Dataset> created) {
    inTransaction(() -> {
      insertDatasetRows(created);
      writeBlueprints("table_entries", t.id(), t.blueprintDataset(), t.defaultBlueprint(), t.updatedAt());
    });
  }

  @Override
  public synchronized void renameTable(EntryId id, String name, Instant now) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement("UPDATE table_entries SET name = ?, updated_at_ns = ? WHERE id = ?")) {
        ps.setString(1, name);
        ps.setLong(2, nanos(now));
        ps.setString(3, id.toHex());
        ps.executeUpdate();
      }
    });
  }

  @Override
  public synchronized void moveTable(EntryId id, Path dir, Instant now) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement("UPDATE table_entries SET path = ?, updated_at_ns = ? WHERE id = ?")) {
        ps.setString(1, dir.toString());
        ps.setLong(2, nanos(now));
        ps.setString(3, id.toHex());
        ps.executeUpdate();
      }
    });
  }

  // --- partitions -------------------------------------------------------------------------------

  @Override
  public synchronized void commitRegistrations(List<FileCommit> files, Instant now) {
    inTransaction(() -> {
      try (PreparedStatement delete = db.prepareStatement("DELETE FROM partitions WHERE dataset_id = ? AND partition_id = ? AND layer = ?");
          PreparedStatement insert = db.prepareStatement("""
              INSERT INTO partitions(dataset_id, partition_id, layer, storage_url, file_path, file_size, file_modified_ns,
                                     chunk_count, row_count, size_bytes, registered_at_ns, chunk_index, schema, application_id)
              VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)""")) {
        // Files written alike (the recordings of one application) have one schema: it is encoded once
        // per group, not once per file (16 such files made 16 equal schema messages on the committer).
        Map<DatasetSchema, byte[]> encoded = new HashMap<>();
        // File by file, in order: a later file of the group may replace what an earlier one added.
        for (FileCommit f : files) {
          if (!f.replaced().isEmpty()) {
            for (Partition p : f.replaced()) {
              bindKey(delete, p);
              delete.addBatch();
            }
            delete.executeBatch();
          }
          if (!f.added().isEmpty()) {
            for (IndexedPartition ip : f.added()) {
              bindPartition(insert, ip, encoded.computeIfAbsent(ip.schema(), DatasetSchema::toBytes));
              insert.addBatch();
            }
            insert.executeBatch();
          }
        }
      }
      Set<EntryId> touched = new LinkedHashSet<>();
      for (FileCommit f : files) {
        if (!f.added().isEmpty() || !f.replaced().isEmpty()) {
          touched.add(f.finished().datasetId());
        }
      }
      for (EntryId id : touched) {
        touchDataset(id, now);
      }
      writeTasks(files.stream().map(FileCommit::finished).toList(), true);
    });
  }

  private static void bindKey(PreparedStatement ps, Partition p) throws SQLException {
    ps.setString(1, p.datasetId().toHex());
    ps.setString(2, p.partitionId());
    ps.setString(3, p.layer());
  }

  /** Binds the partition's key and its file's stamp (size, version): five parameters from {@code from} on. */
  private static void bindStamped(PreparedStatement ps, int from, Partition p) throws SQLException {
    ps.setString(from, p.datasetId().toHex());
    ps.setString(from + 1, p.partitionId());
    ps.setString(from + 2, p.layer());
    ps.setLong(from + 3, p.file().sizeBytes());
    ps.setString(from + 4, p.file().version());
  }

  /** {@code schema}: the partition's schema as {@link DatasetSchema#toBytes()} encodes it. */
  private static void bindPartition(PreparedStatement ps, IndexedPartition ip, byte[] schema) throws SQLException {
    Partition p = ip.partition();
    bindKey(ps, p);
    ps.setString(4, p.storageUrl().toString());
    ps.setString(5, p.file().location());
    ps.setLong(6, p.file().sizeBytes());
    // The column's name predates objects: it holds the version, a file's modification time in
    // nanoseconds (as digits) or an object's ETag. Old SQLite catalogs declared it a number; SQLite
    // keeps either form and gives both back as text.
    ps.setString(7, p.file().version());
    ps.setLong(8, p.chunkCount());
    ps.setLong(9, p.rowCount());
    ps.setLong(10, p.sizeBytes());
    ps.setLong(11, nanos(p.registeredAt()));
    ps.setBytes(12, ip.chunkIndex());
    ps.setBytes(13, schema);
    ps.setString(14, p.applicationId());
  }

  @Override
  public synchronized void deletePartitions(List<Partition> partitions, EntryId datasetId, Instant now) {
    inTransaction(() -> {
      deleteRows(partitions);
      touchDataset(datasetId, now);
    });
  }

  private void deleteRows(List<Partition> partitions) throws SQLException {
    if (partitions.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = db.prepareStatement("DELETE FROM partitions WHERE dataset_id = ? AND partition_id = ? AND layer = ?")) {
      for (Partition p : partitions) {
        bindKey(ps, p);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  @Override
  public synchronized List<Partition> partitions() {
    List<Partition> out = new ArrayList<>();
    read(() -> {
      try (Statement s = db.createStatement();
          ResultSet rs = s.executeQuery("""
              SELECT dataset_id, partition_id, layer, storage_url, file_path, file_size, file_modified_ns,
                     chunk_count, row_count, size_bytes, registered_at_ns, application_id
              FROM partitions""")) {
        while (rs.next()) {
          out.add(new Partition(EntryId.parse(rs.getString(1)), rs.getString(2), rs.getString(3), URI.create(rs.getString(4)),
              new FileStamp(rs.getString(5), rs.getLong(6), rs.getString(7)), rs.getLong(8), rs.getLong(9), rs.getLong(10),
              instant(rs.getLong(11)), rs.getString(12)));
        }
      }
    });
    // Code-point order, whatever the database's collation.
    out.sort(Comparator.comparing((Partition p) -> p.datasetId().toHex()).thenComparing(Partition::partitionId)
        .thenComparing(Partition::layer));
    return out;
  }

  @Override
  public synchronized boolean putCompacted(Partition p, CompactedCopy copy, byte[] chunkIndex) {
    boolean[] stored = new boolean[1];
    inTransaction(() -> {
      try (PreparedStatement delete = db.prepareStatement("DELETE FROM compacted_copies WHERE dataset_id = ? AND partition_id = ? AND layer = ?");
          PreparedStatement insert = db.prepareStatement("""
              INSERT INTO compacted_copies(dataset_id, partition_id, layer, copy_path, copy_size, copy_version, chunk_count, chunk_index,
                copy_crc32c)
              SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (
                SELECT 1 FROM partitions WHERE dataset_id = ? AND partition_id = ? AND layer = ? AND file_path = ? AND file_size = ?
                  AND file_modified_ns = ?)""")) {
        bindKey(delete, p);
        delete.executeUpdate();
        bindKey(insert, p);
        insert.setString(4, copy.file().location());
        insert.setLong(5, copy.file().sizeBytes());
        insert.setString(6, copy.file().version());
        insert.setLong(7, copy.chunkCount());
        insert.setBytes(8, chunkIndex);
        insert.setLong(9, copy.crc32c());
        insert.setString(10, p.datasetId().toHex());
        insert.setString(11, p.partitionId());
        insert.setString(12, p.layer());
        insert.setString(13, p.file().location());
        insert.setLong(14, p.file().sizeBytes());
        insert.setString(15, p.file().version());
        stored[0] = insert.executeUpdate() == 1;
      }
    });
    return stored[0];
  }

  @Override
  public synchronized void dropCompacted(Partition p) {
    inTransaction(() -> {
      try (PreparedStatement delete = db.prepareStatement("DELETE FROM compacted_copies WHERE dataset_id = ? AND partition_id = ? AND layer = ?")) {
        bindKey(delete, p);
        delete.executeUpdate();
      }
    });
  }

  @Override
  public synchronized Map<PartitionRef, CompactedCopy> compactedCopies() {
    Map<PartitionRef, CompactedCopy> out = new HashMap<>();
    read(() -> {
      try (Statement s = db.createStatement();
          ResultSet rs = s.executeQuery(
              "SELECT dataset_id, partition_id, layer, copy_path, copy_size, copy_version, chunk_count, copy_crc32c FROM compacted_copies")) {
        while (rs.next()) {
          long crc = rs.getLong(8);
          out.put(new PartitionRef(EntryId.parse(rs.getString(1)), rs.getString(2), rs.getString(3)),
              new CompactedCopy(new FileStamp(rs.getString(4), rs.getLong(5), rs.getString(6)), rs.getLong(7),
                  rs.wasNull() ? CompactedCopy.UNKNOWN_CRC : crc));
        }
      }
    });
    return out;
  }

  @Override
  public Optional<byte[]> compactedIndex(EntryId datasetId, String partitionId, String layer) {
    return blob("compacted_copies", "chunk_index", datasetId, partitionId, layer);
  }

  @Override
  public Optional<byte[]> chunkIndex(EntryId datasetId, String partitionId, String layer) {
    return blob("partitions", "chunk_index", datasetId, partitionId, layer);
  }

  @Override
  public Optional<byte[]> schema(EntryId datasetId, String partitionId, String layer) {
    return blob("partitions", "schema", datasetId, partitionId, layer);
  }

  private synchronized Optional<byte[]> blob(String table, String column, EntryId datasetId, String partitionId, String layer) {
    byte[][] found = new byte[1][];
    read(() -> {
      try (PreparedStatement ps = db.prepareStatement("SELECT " + column + " FROM " + table + " WHERE dataset_id = ? AND partition_id = ? AND layer = ?")) {
        ps.setString(1, datasetId.toHex());
        ps.setString(2, partitionId);
        ps.setString(3, layer);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            found[0] = rs.getBytes(1);
          }
        }
      }
    });
    return Optional.ofNullable(found[0]);
  }

  // --- chunk times ------------------------------------------------------------------------------

  @Override
  public synchronized java.util.Map<ChunkId, byte[]> chunkTimes(Partition p) {
    java.util.Map<ChunkId, byte[]> out = new java.util.HashMap<>();
    read(() -> {
      try (PreparedStatement ps = db.prepareStatement("""
          SELECT chunk_id, times FROM chunk_times
          WHERE dataset_id = ? AND partition_id = ? AND layer = ? AND file_size = ? AND file_version = ?""")) {
        bindStamped(ps, 1, p);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String id = rs.getString(1);
            out.put(ChunkId.parse(id).orElseThrow(() -> CatalogException.internal("Catalog store error: chunk_times holds a bad chunk id " + id, null)),
                rs.getBytes(2));
          }
        }
      }
    });
    return out;
  }

  @Override
  public synchronized void addChunkTimes(List<PartitionChunkTimes> batch, long maxBytesPerPartition) {
    inTransaction(false, () -> {
      try (PreparedStatement used = db.prepareStatement(
              "SELECT COALESCE(SUM(LENGTH(times)), 0) FROM chunk_times WHERE dataset_id = ? AND partition_id = ? AND layer = ?");
          PreparedStatement insert = db.prepareStatement("""
              INSERT INTO chunk_times(dataset_id, partition_id, layer, file_size, file_version, chunk_id, times)
              SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM partitions
                WHERE dataset_id = ? AND partition_id = ? AND layer = ? AND file_size = ? AND file_modified_ns = ?)
              ON CONFLICT (dataset_id, partition_id, layer, chunk_id) DO NOTHING""")) {
        for (PartitionChunkTimes pt : batch) {
          Partition p = pt.partition();
          bindKey(used, p);
          long bytes;
          try (ResultSet rs = used.executeQuery()) {
            bytes = rs.next() ? rs.getLong(1) : 0;
          }
          for (var e : pt.times().entrySet()) {
            bytes += e.getValue().length;
            if (bytes > maxBytesPerPartition) {
              break; // the cap: the rest are learnt again by the scans that need them
            }
            bindStamped(insert, 1, p);
            insert.setString(6, e.getKey().toString());
            insert.setBytes(7, e.getValue());
            bindStamped(insert, 8, p);
            insert.addBatch();
          }
          insert.executeBatch();
        }
      }
    });
  }

  // --- view row counts --------------------------------------------------------------------------

  @Override
  public synchronized OptionalLong viewRowCount(Partition p, String timeline, String contents) {
    long[] found = {-1};
    read(() -> {
      try (PreparedStatement ps = db.prepareStatement("""
          SELECT row_count FROM view_row_counts
          WHERE dataset_id = ? AND partition_id = ? AND layer = ? AND file_size = ? AND file_version = ? AND timeline = ? AND contents = ?""")) {
        bindStamped(ps, 1, p);
        ps.setString(6, timeline);
        ps.setString(7, contents);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            found[0] = rs.getLong(1);
          }
        }
      }
    });
    return found[0] < 0 ? OptionalLong.empty() : OptionalLong.of(found[0]);
  }

  @Override
  public synchronized void addViewRowCounts(List<ViewRowCount> counts) {
    inTransaction(false, () -> {
      try (PreparedStatement upsert = db.prepareStatement("""
          INSERT INTO view_row_counts(dataset_id, partition_id, layer, file_size, file_version, timeline, contents, row_count)
          SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM partitions
            WHERE dataset_id = ? AND partition_id = ? AND layer = ? AND file_size = ? AND file_modified_ns = ?)
          ON CONFLICT (dataset_id, partition_id, layer, timeline, contents)
          DO UPDATE SET file_size = excluded.file_size, file_version = excluded.file_version, row_count = excluded.row_count""")) {
        for (ViewRowCount c : counts) {
          Partition p = c.partition();
          bindStamped(upsert, 1, p);
          upsert.setString(6, c.timeline());
          upsert.setString(7, c.contents());
          upsert.setLong(8, c.rows());
          bindStamped(upsert, 9, p);
          upsert.addBatch();
        }
        upsert.executeBatch();
      }
    });
  }

  // --- tasks ------------------------------------------------------------------------------------

  @Override
  public synchronized void upsertTasks(List<Task> tasks) {
    inTransaction(() -> writeTasks(tasks, true));
  }

  @Override
  public synchronized void addTasksIfAbsent(List<Task> tasks) {
    inTransaction(() -> writeTasks(tasks, false));
  }

  @Override
  public synchronized List<Task> tasks() {
    List<Task> out = new ArrayList<>();
    read(() -> {
      try (Statement s = db.createStatement();
          ResultSet rs = s.executeQuery("""
              SELECT id, dataset_id, source, layer, status, message, partition_ids, created_at_ns, updated_at_ns
              FROM tasks ORDER BY created_at_ns, id""")) {
        while (rs.next()) {
          String ids = rs.getString(7);
          out.add(new Task(rs.getString(1), EntryId.parse(rs.getString(2)), URI.create(rs.getString(3)), rs.getString(4),
              TaskStatus.ofWord(rs.getString(5)), rs.getString(6), ids.isEmpty() ? List.of() : Arrays.asList(ids.split("\n")),
              instant(rs.getLong(8)), instant(rs.getLong(9))));
        }
      }
    });
    return out;
  }

  /** @param replace whether a task already stored takes the new state, or keeps its own */
  private void writeTasks(List<Task> tasks, boolean replace) throws SQLException {
    if (tasks.isEmpty()) {
      return;
    }
    String onConflict = replace
        ? "UPDATE SET status = excluded.status, message = excluded.message, partition_ids = excluded.partition_ids, updated_at_ns = excluded.updated_at_ns"
        : "NOTHING";
    try (PreparedStatement ps = db.prepareStatement("""
        INSERT INTO tasks(id, dataset_id, source, layer, status, message, partition_ids, created_at_ns, updated_at_ns)
        VALUES (?,?,?,?,?,?,?,?,?)
        ON CONFLICT (id) DO\s""" + onConflict)) {
      for (Task t : tasks) {
        ps.setString(1, t.id());
        ps.setString(2, t.datasetId().toHex());
        ps.setString(3, t.source().toString());
        ps.setString(4, t.layer());
        ps.setString(5, t.status().word());
        ps.setString(6, t.message());
        ps.setString(7, String.join("\n", t.partitionIds()));
        ps.setLong(8, nanos(t.createdAt()));
        ps.setLong(9, nanos(t.updatedAt()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void touchDataset(EntryId id, Instant now) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement("UPDATE datasets SET updated_at_ns = ? WHERE id = ?")) {
      ps.setLong(1, nanos(now));
      ps.setString(2, id.toHex());
      ps.executeUpdate();
    }
  }

  @Override
  public synchronized void close() {
    try {
      db.close();
    } catch (SQLException e) {
      throw CatalogException.failed("Closing the catalog " + describe() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized long generation() {
    long[] out = new long[1];
    read(() -> out[0] = Long.parseLong(queryString(db, "SELECT value FROM meta WHERE key = 'generation'")));
    return out[0];
  }

  /** Throws when this store may not change the catalog (a fleet node that is not the writer); called before each change. */
  protected void requireWritable() {
  }

  // --- plumbing ---------------------------------------------------------------------------------

  @FunctionalInterface
  protected interface SqlWork {
    void run() throws SQLException;
  }

  /** Closes a connection that is being given up on after an error; the first error is the one to report. */
  protected static void closeQuietly(Connection db) {
    if (db != null) {
      try {
        db.close();
      } catch (SQLException ignored) {
        // already failing
      }
    }
  }

  private void inTransaction(SqlWork work) {
    inTransaction(true, work);
  }

  /** {@code change}: whether it changes the catalog (moves the generation other servers poll), or only adds cached facts. */
  private void inTransaction(boolean change, SqlWork work) {
    requireWritable();
    try {
      work.run();
      if (change) {
        try (Statement s = db.createStatement()) {
          s.executeUpdate("UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'generation'");
        }
      }
      db.commit();
    } catch (SQLException e) {
      rollBack();
      throw translate(e);
    }
  }

  private void read(SqlWork work) {
    try {
      work.run();
      db.commit(); // ends the read transaction (SQLite: lets WAL checkpoints proceed)
    } catch (SQLException e) {
      rollBack();
      throw translate(e);
    }
  }

  private void rollBack() {
    try {
      db.rollback();
    } catch (SQLException rollbackFailed) {
      afterFailedRollback();
    }
  }

  /** Called when a rollback itself failed; leaves the connection ready for the next transaction. */
  protected abstract void afterFailedRollback();

  /** The store's error as the catalog reports it: ALREADY_EXISTS for a taken name, else INTERNAL naming the cause. */
  protected abstract CatalogException translate(SQLException e);

  protected static String queryString(Connection db, String sql) throws SQLException {
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }
}
