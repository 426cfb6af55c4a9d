package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.DataSource;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.OnDuplicate;
import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.RegistrationLimits;
import io.rrdflight.catalog.RrdRecordingIndexer;
import io.rrdflight.catalog.TaskStatus;
import io.rrdflight.rrd.RecordingSources;
import io.rrdflight.rrd.s3.ObjectReads;
import io.rrdflight.rrd.s3.S3Client;
import io.rrdflight.rrd.s3.S3Credentials;
import io.rrdflight.sql.ResultBatches;
import io.rrdflight.sql.SqlEngine;
import io.rrdflight.sql.engine.CatalogRerunData;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQL engine over a bucket (a real s3proxy process, its objects on disk) fetches the chunks its
 * plan picked ahead of decoding them, each once and each used, and gives the rows the same recording
 * gives from local disk. In process, to read the object store's request counts
 * ({@link RecordingSources#objectReads()}).
 */
class SqlReadAheadIT {
  @Test
  void aQueryOverABucketFetchesItsChunksAheadOnceAndGivesTheRowsOfLocalDisk(@TempDir Path tmp) throws Exception {
    Path large = Fixtures.root().resolve("large/large.rrd");
    Assumptions.assumeTrue(Files.isRegularFile(large), "skipped: " + large + " is missing; scripts/gen-fixtures --large writes it");
    try (S3Proxy s3 = S3Proxy.startOnDisk(tmp.resolve("s3"), tmp.resolve("blobs"))) {
      s3.put("fleet", "runs/large.rrd", large);
      RecordingSources sources = RecordingSources.withS3(new S3Client(Optional.of(URI.create(s3.endpoint())), "us-east-1",
          Optional.of(new S3Credentials(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY, null))));
      try (BufferAllocator allocator = new RootAllocator()) {
        try (Catalog catalog = Catalog.open(tmp.resolve("data"), new RrdRecordingIndexer(allocator), 1, RegistrationLimits.UNRESTRICTED, sources);
            SqlEngine engine = new SqlEngine(new CatalogRerunData(catalog), allocator)) {
          register(catalog, "bucket", "s3://fleet/runs/large.rrd");
          register(catalog, "disk", large.toUri().toString());
          // Four scalar entities' chunks of ~320 kB in a window of the index: about 14 chunks each.
          String view = "SELECT * FROM TABLE(\"%s\".query_view(index => 'frame', contents => '/large/scalars/**')) "
              + "WHERE frame BETWEEN 300000 AND 500000";

          ObjectReads.Counts before = sources.objectReads();
          List<String> fromBucket = rows(engine, view.formatted("bucket"), allocator);
          ObjectReads.Counts query = sources.objectReads().minus(before);
          assertEquals(rows(engine, view.formatted("disk"), allocator), fromBucket);
          assertTrue(fromBucket.size() > 100_000, "rows: " + fromBucket.size());

          assertTrue(query.fetchedAhead() >= 4 * 10, "the plan's chunks are fetched ahead: " + query);
          assertEquals(query.fetchedAhead(), query.readAhead(), "every chunk fetched ahead is read, none in vain: " + query);
          // The rest are blocks of the small chunks (static ones); no chunk fetched twice.
          assertTrue(query.gets() - query.fetchedAhead() <= 2, "GETs beyond the chunks fetched ahead: " + query);
        }
        assertEquals(0, allocator.getAllocatedMemory(), "Arrow memory left allocated");
      }
    }
  }

  private static void register(Catalog catalog, String name, String uri) {
    Dataset dataset = catalog.createDataset(name);
    assertEquals(TaskStatus.SUCCESS, catalog.register(dataset.id(), DataSource.of(uri, Partition.DEFAULT_LAYER), OnDuplicate.ERROR,
        Duration.ofMinutes(5)).status());
  }

  private static List<String> rows(SqlEngine engine, String sql, BufferAllocator allocator) {
    List<String> out = new ArrayList<>();
    try (ResultBatches batches = engine.prepare(sql).execute(List.of(), allocator, 4096)) {
      while (batches.next()) {
        for (int r = 0; r < batches.root().getRowCount(); r++) {
          StringBuilder row = new StringBuilder();
          for (FieldVector v : batches.root().getFieldVectors()) {
            row.append(v.getObject(r)).append('|');
          }
          out.add(row.toString());
        }
      }
    }
    return out;
  }
}
