package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import com.google.protobuf.ByteString;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.proto.ArrowMsg;
import io.rrdflight.server.Fixtures;
import io.rrdflight.server.redap.proto.FetchChunksRequest;
import io.rrdflight.server.redap.proto.FetchChunksResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
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
  /** A FetchChunks of every chunk of the recording, as QueryDataset listed them. */
  FetchChunksRequest everyChunk;
  List<IndexedChunk> chunks;

  @BeforeEach
  void registerOneRecording() throws Exception {
    rerun = new RerunCloudHarness(dir.resolve("data"), null, new RrdRecordingProbe(), MESSAGE_BYTES);
    dataset = rerun.datasetWith("d", FILE);
    everyChunk = FetchChunksRequest.newBuilder().addAllChunkInfos(rerun.allChunkInfos(dataset)).build();
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
    rerun.stub().fetchChunks(everyChunk).forEachRemaining(messages::add);
    long largestChunk = chunks.stream().mapToLong(IndexedChunk::length).max().orElseThrow();
    assertTrue(messages.size() > 1, "a 200 KB recording in 16 KB messages: " + messages.size());
    for (FetchChunksResponse m : messages) {
      assertTrue(m.getSerializedSize() <= MESSAGE_BYTES + largestChunk + 16, "message of " + m.getSerializedSize() + " bytes");
    }
    assertEquals(chunks.size(), messages.stream().mapToInt(FetchChunksResponse::getChunksCount).sum());
  }

  @Test
  void everyChunkArrivesWithTheBytesItHasInTheFileAlsoWhenStreamsPassTheirArraysOn() throws Exception {
    // The chunks of a message are read into one array that the next message reuses, and a finished
    // stream leaves its array to the next: a chunk sent from a region already refilled would carry
    // another chunk's bytes. Two streams one after the other, then two side by side.
    Map<ChunkId, ByteString> inFile = new HashMap<>();
    byte[] file = Files.readAllBytes(FILE);
    for (IndexedChunk c : chunks) {
      ArrowMsg stored = ArrowMsg.parseFrom(ByteString.copyFrom(file, (int) c.offset(), (int) c.length()));
      inFile.put(c.id(), stored.getPayload());
    }
    for (int round = 0; round < 2; round++) {
      assertEquals(chunks.size(), checkPayloads(List.of(rerun.stub().fetchChunks(everyChunk)), inFile));
    }
    var sideBySide = List.of(rerun.stub().fetchChunks(everyChunk), rerun.stub().fetchChunks(everyChunk));
    assertEquals(2 * chunks.size(), checkPayloads(sideBySide, inFile));
  }

  /** Reads the streams a message of each in turn, checking every chunk against the file; the chunks seen. */
  private static int checkPayloads(List<Iterator<FetchChunksResponse>> streams, Map<ChunkId, ByteString> inFile) {
    int seen = 0;
    boolean more = true;
    while (more) {
      more = false;
      for (Iterator<FetchChunksResponse> it : streams) {
        if (!it.hasNext()) {
          continue;
        }
        more = true;
        for (ArrowMsg sent : it.next().getChunksList()) {
          ChunkId id = new ChunkId(sent.getChunkId().getTimeNs(), sent.getChunkId().getInc());
          assertEquals(inFile.get(id), sent.getPayload(), "chunk " + id);
          seen++;
        }
      }
    }
    return seen;
  }

  @Test
  void theArrayOfOneMessageIsReusedOnlyAfterItWasSentAndABiggerChunkGetsItsOwn() {
    ChunkFetch.MessageBytes stored = new ChunkFetch.MessageBytes(100, new ArrayBlockingQueue<>(1));
    ByteBuffer first = stored.take(60);
    ByteBuffer second = stored.take(30);
    assertTrue(first.hasArray() && second.array() == first.array(), "one array for one message");
    assertEquals(60, second.arrayOffset(), "the second chunk after the first");
    ByteBuffer overflow = stored.take(20);
    assertTrue(overflow.array() != first.array(), "no room left: an array of its own");
    stored.reuse();
    assertEquals(0, stored.take(10).arrayOffset(), "the next message starts at the front again");
    stored.reuse();
    ByteBuffer big = stored.take(500);
    assertEquals(500, big.remaining());
    assertTrue(big.array() != first.array(), "the array grows to a bigger chunk");
    stored.reuse();
    assertTrue(stored.take(ChunkFetch.MessageBytes.KEPT_BYTES + 1).array() != stored.take(1).array(), "beyond what is kept, an array of its own");
  }

  @Test
  void aFinishedStreamLeavesItsArrayToTheNextUnlessItGrewOrTheSparesAreFull() {
    ArrayBlockingQueue<byte[]> spares = new ArrayBlockingQueue<>(1);
    ChunkFetch.MessageBytes first = new ChunkFetch.MessageBytes(100, spares);
    byte[] array = first.take(10).array();
    first.release();
    ChunkFetch.MessageBytes second = new ChunkFetch.MessageBytes(100, spares);
    ChunkFetch.MessageBytes third = new ChunkFetch.MessageBytes(100, spares);
    assertSame(array, second.take(50).array(), "the next stream takes the spare");
    assertNotSame(array, third.take(50).array(), "a stream beside it gets one of its own");
    second.release();
    third.release();
    assertEquals(List.of(array), List.copyOf(spares), "one spare kept: the queue bounds them");

    spares.clear();
    ChunkFetch.MessageBytes grown = new ChunkFetch.MessageBytes(100, spares);
    grown.take(500);
    grown.release();
    assertTrue(spares.isEmpty(), "an array grown past twice the usual size is not kept");
  }

  @Test
  void theArrayGrowsWithRoomForTheNextChunkThatIsALittleBigger() {
    ChunkFetch.MessageBytes stored = new ChunkFetch.MessageBytes(100, new ArrayBlockingQueue<>(1));
    byte[] grown = stored.take(110).array();
    stored.reuse();
    assertSame(grown, stored.take(120).array(), "chunks a little over the usual size share one array");
  }

  @Test
  void aSlowClientIsServedAtItsOwnPace() throws Exception {
    StalledFetch slow = new StalledFetch(rerun.asyncStub(null), everyChunk);
    assertEquals(Status.Code.OK, slow.readSlowly(20).getCode());
    assertEquals(chunks.size(), slow.items.get());
  }

  @Test
  void aClientThatHangsUpMidStreamLeavesTheServerWorking() throws Exception {
    new StalledFetch(rerun.asyncStub(null), everyChunk).cancel();
    List<FetchChunksResponse> again = new ArrayList<>();
    rerun.stub().fetchChunks(everyChunk).forEachRemaining(again::add);
    assertEquals(chunks.size(), again.stream().mapToInt(FetchChunksResponse::getChunksCount).sum());
  }
}
