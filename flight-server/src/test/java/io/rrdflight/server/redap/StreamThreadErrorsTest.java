package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.ForwardingRecordingIndexer;
import io.rrdflight.catalog.RecordingIndexer;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.RrdFormatException;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import io.rrdflight.server.Fixtures;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A Rerun data stream whose thread fails with an Error (not an exception) ends its call; the client is not left waiting. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StreamThreadErrorsTest {
  @TempDir Path dir;

  @Test
  void aQueryDatasetStreamThatRunsOutOfHeapEndsWithResourceExhausted() throws Exception {
    AtomicBoolean exhausted = new AtomicBoolean(false);
    try (RootAllocator indexing = new RootAllocator()) {
      RecordingIndexer heapRunsOut = new ForwardingRecordingIndexer(indexing) {
        @Override
        public ChunkIndex chunkIndex(byte[] saved, String location) throws RrdFormatException {
          if (exhausted.get()) {
            throw new OutOfMemoryError("GC overhead limit exceeded (test)");
          }
          return super.chunkIndex(saved, location);
        }
      };
      try (RerunCloudHarness rerun = new RerunCloudHarness(dir.resolve("data"), heapRunsOut, new RrdRecordingProbe())) {
        EntryId dataset = rerun.datasetWith("d", Fixtures.path("dataset/rec-dataset-04.rrd"));
        exhausted.set(true); // the stream thread decodes the partition's chunk index as it goes
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> rerun.stub(dataset)
            .queryDataset(QueryDatasetRequest.newBuilder().setSelectAllEntityPaths(true).build()).forEachRemaining(r -> { }));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("ran out of memory"), e.getStatus().getDescription());
      }
    }
  }
}
