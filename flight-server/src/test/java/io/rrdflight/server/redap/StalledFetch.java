package io.rrdflight.server.redap;

import io.rrdflight.server.redap.proto.FetchChunksRequest;
import io.rrdflight.server.redap.proto.FetchChunksResponse;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;
import java.util.concurrent.atomic.AtomicInteger;

/** A FetchChunks whose client stops reading after the first message ({@link StalledStream}). */
final class StalledFetch extends StalledStream<FetchChunksRequest, FetchChunksResponse> {
  /** Chunks received so far (a message may carry several). */
  final AtomicInteger chunks = new AtomicInteger();

  StalledFetch(RerunCloudServiceGrpc.RerunCloudServiceStub stub, FetchChunksRequest request) throws InterruptedException {
    super(stub::fetchChunks, request);
  }

  @Override
  public void onNext(FetchChunksResponse value) {
    chunks.addAndGet(value.getChunksCount());
    super.onNext(value);
  }
}
