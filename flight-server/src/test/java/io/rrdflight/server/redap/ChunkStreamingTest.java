package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.server.Fixtures;
import io.rrdflight.server.redap.proto.FetchChunksRequest;
import io.rrdflight.server.redap.proto.FetchChunksResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FetchChunks on a real recording: messages stay near their size bound, a slow client is served at
 * its own pace, and a client that hangs up leaves nothing allocated (the harness checks on close).
 */
class ChunkStreamingTest {
  static final int MESSAGE_BYTES = 16 << 10;
  static final Path FILE = Fixtures.path("dataset/rec-dataset-04.rrd");

  @TempDir Path dir;
  RerunCloudHarness rerun;
  EntryId dataset;
  List<DataframePart> chunkInfos;
  List<IndexedChunk> chunks;

  @BeforeEach
  void registerOneRecording() throws Exception {
    rerun = new RerunCloudHarness(dir.resolve("data"), null, new RrdRecordingProbe(), MESSAGE_BYTES);
    dataset = rerun.datasetWith("d", FILE);
    chunkInfos = rerun.allChunkInfos(dataset);
    try (var a = rerun.root.newChildAllocator("index", 0, Long.MAX_VALUE)) {
      ChunkIndex index = ChunkIndex.build(FILE, a);
      chunks = index.chunksOf(index.recordings().get(0).id());
    }
  }

  @AfterEach
  void close() throws InterruptedException {
    rerun.close();
  }

  @Test
  void messagesStayNearTheirBoundAndCarryEveryChunkOnce() {
    List<FetchChunksResponse> messages = new ArrayList<>();
    rerun.stub().fetchChunks(FetchChunksRequest.newBuilder().addAllChunkInfos(chunkInfos).build()).forEachRemaining(messages::add);
    long largestChunk = chunks.stream().mapToLong(IndexedChunk::length).max().orElseThrow();
    assertTrue(messages.size() > 1, "a 200 KB recording in 16 KB messages: " + messages.size());
    for (FetchChunksResponse m : messages) {
      assertTrue(m.getSerializedSize() <= MESSAGE_BYTES + largestChunk + 16, "message of " + m.getSerializedSize() + " bytes");
    }
    assertEquals(chunks.size(), messages.stream().mapToInt(FetchChunksResponse::getChunksCount).sum());
  }

  @Test
  void aSlowClientIsServedAtItsOwnPace() throws Exception {
    AtomicInteger received = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    rerun.asyncStub(null).fetchChunks(FetchChunksRequest.newBuilder().addAllChunkInfos(chunkInfos).build(),
        new ClientResponseObserver<FetchChunksRequest, FetchChunksResponse>() {
          ClientCallStreamObserver<FetchChunksRequest> call;

          @Override
          public void beforeStart(ClientCallStreamObserver<FetchChunksRequest> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
          }

          @Override
          public void onNext(FetchChunksResponse value) {
            received.addAndGet(value.getChunksCount());
            try {
              Thread.sleep(20);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            call.request(1);
          }

          @Override
          public void onError(Throwable t) {
            failure.set(t);
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    assertTrue(done.await(60, TimeUnit.SECONDS));
    assertNull(failure.get());
    assertEquals(chunks.size(), received.get());
  }

  @Test
  void aClientThatHangsUpMidStreamLeavesTheServerWorking() throws Exception {
    new StalledFetch(rerun.asyncStub(null), FetchChunksRequest.newBuilder().addAllChunkInfos(chunkInfos).build()).cancel();
    List<FetchChunksResponse> again = new ArrayList<>();
    rerun.stub().fetchChunks(FetchChunksRequest.newBuilder().addAllChunkInfos(chunkInfos).build()).forEachRemaining(again::add);
    assertEquals(chunks.size(), again.stream().mapToInt(FetchChunksResponse::getChunksCount).sum());
  }
}
