package io.rrdflight.server.redap;

import io.rrdflight.server.redap.proto.FetchChunksRequest;
import io.rrdflight.server.redap.proto.FetchChunksResponse;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;

/** A FetchChunks whose client stops reading after the first message ({@link StalledStream}); its items are chunks. */
final class StalledFetch extends StalledStream<FetchChunksRequest, FetchChunksResponse> {
  StalledFetch(RerunCloudServiceGrpc.RerunCloudServiceStub stub, FetchChunksRequest request) throws InterruptedException {
    super(stub::fetchChunks, request);
  }

  @Override
  int itemsIn(FetchChunksResponse value) {
    return value.getChunksCount();
  }
}
