package io.rrdflight.server.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.rrdflight.server.redap.proto.CreateDatasetEntryRequest;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.impl.Flight;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
  @Test
  void summaryNamesTheFieldsOfTheRequest() {
    assertEquals("{name=\"robots\"}", AuditLog.summarize(CreateDatasetEntryRequest.newBuilder().setName("robots").build()));
  }

  @Test
  void bytesAreSummarisedByTheirLength() {
    Flight.Action action = Flight.Action.newBuilder().setType("X").setBody(ByteString.copyFrom(new byte[1000])).build();
    assertEquals("{type=\"X\" body=<1000 bytes>}", AuditLog.summarize(action));
  }

  @Test
  void rawRequestIsReadWithItsMethodsTypeAndRewoundForTheService() throws Exception {
    AuditLog audit = new AuditLog(List.of(RerunCloudServiceGrpc.getServiceDescriptor()));
    byte[] bytes = CreateDatasetEntryRequest.newBuilder().setName("robots").build().toByteArray();
    InputStream raw = new ByteArrayInputStream(bytes);
    assertEquals("{name=\"robots\"}", audit.summarize(RerunCloudServiceGrpc.getCreateDatasetEntryMethod().getFullMethodName(), raw));
    assertArrayEquals(bytes, raw.readAllBytes(), "the service still gets the whole request");
  }

  @Test
  void rawRequestThatCannotBeRewoundIsLeftAlone() throws Exception {
    AuditLog audit = new AuditLog(List.of(RerunCloudServiceGrpc.getServiceDescriptor()));
    byte[] bytes = CreateDatasetEntryRequest.newBuilder().setName("robots").build().toByteArray();
    InputStream oneShot = new FilterInputStream(new ByteArrayInputStream(bytes)) {
      @Override
      public boolean markSupported() {
        return false;
      }
    };
    assertEquals("", audit.summarize(RerunCloudServiceGrpc.getCreateDatasetEntryMethod().getFullMethodName(), oneShot));
    assertArrayEquals(bytes, oneShot.readAllBytes());
  }

  @Test
  void hugeRequestsMakeBoundedSummaries() {
    CreateDatasetEntryRequest huge = CreateDatasetEntryRequest.newBuilder().setName("n".repeat(1_000_000)).build();
    assertTrue(AuditLog.summarize(huge).length() <= AuditLog.MAX_SUMMARY + 1);
  }

  /**
   * A table write through the SQL door (a DoPut whose producer calls {@link AuditLog#tableWrite}, as
   * TableIngest does for INSERT INTO and bulk ingest) gets the line a Rerun-door WriteTable gets; a DoPut
   * that writes nothing (binding a prepared query's parameters) gets none, as DoPut is a reader's call.
   */
  @Test
  void tableWritesThroughTheSqlDoorAreAuditedLikeTheRerunDoors(@TempDir Path dataDir) throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    AuditLog audit = new AuditLog(List.of()) {
      @Override
      void mutation(Caller caller, String call, String entry, String request, Status status, String peer) {
        lines.add(caller.describe() + " " + call + " " + request + " -> " + status.getCode());
      }
    };
    try (Authenticator auth = Authenticator.open(dataDir)) {
      String writer = auth.tokens().issue(Optional.of("ci"), Role.WRITER, Optional.empty(), List.of()).token();
      MethodDescriptor<InputStream, InputStream> doPut = bidi(CallRoles.FLIGHT_SERVICE + "/DoPut");
      MethodDescriptor<InputStream, InputStream> writeTable = bidi(CallRoles.RERUN_SERVICE + "/WriteTable");
      Server server = NettyServerBuilder.forPort(0)
          .addService(ServerServiceDefinition.builder(CallRoles.FLIGHT_SERVICE)
              .addMethod(doPut, ServerCalls.asyncBidiStreamingCall(AuditLogTest::insertIntoLabelsWhenAsked)).build())
          .addService(ServerServiceDefinition.builder(CallRoles.RERUN_SERVICE)
              .addMethod(writeTable, ServerCalls.asyncBidiStreamingCall(AuditLogTest::sink)).build())
          .intercept(AuthInterceptor.requiring(auth, new CallRoles(), audit))
          .build().start();
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
      try {
        Metadata headers = new Metadata();
        headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + writer);
        var authed = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        call(authed, writeTable, new byte[] {1, 2, 3});
        call(authed, doPut, new byte[] {0}); // binds parameters: writes nothing
        call(authed, doPut, new byte[] {1}); // INSERT INTO labels
      } finally {
        channel.shutdownNow();
        server.shutdownNow();
      }
      assertEquals(List.of("ci (writer, token) WriteTable  -> OK", "ci (writer, token) DoPut {table=\"labels\" write=\"INSERT INTO\"} -> OK"),
          lines);
      assertFalse(String.join("\n", lines).contains(writer), "never the token");
    }
  }

  /** A DoPut that, like the producer, says it writes a table when its request asks for one (first byte 1). */
  private static StreamObserver<InputStream> insertIntoLabelsWhenAsked(StreamObserver<InputStream> responses) {
    return new StreamObserver<>() {
      public void onNext(InputStream request) {
        try {
          if (request.read() == 1) {
            AuditLog.tableWrite("INSERT INTO", "labels");
          }
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }

      public void onError(Throwable t) {}

      public void onCompleted() {
        responses.onCompleted();
      }
    };
  }

  private static StreamObserver<InputStream> sink(StreamObserver<InputStream> responses) {
    return new StreamObserver<>() {
      public void onNext(InputStream request) {}

      public void onError(Throwable t) {}

      public void onCompleted() {
        responses.onCompleted();
      }
    };
  }

  private static void call(io.grpc.Channel channel, MethodDescriptor<InputStream, InputStream> method, byte[] request) throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<InputStream> requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(method, CallOptions.DEFAULT), new StreamObserver<>() {
      public void onNext(InputStream response) {}

      public void onError(Throwable t) {
        done.countDown();
      }

      public void onCompleted() {
        done.countDown();
      }
    });
    requests.onNext(new ByteArrayInputStream(request));
    requests.onCompleted();
    assertTrue(done.await(10, TimeUnit.SECONDS), method.getFullMethodName() + " did not finish");
  }

  private static MethodDescriptor<InputStream, InputStream> bidi(String name) {
    MethodDescriptor.Marshaller<InputStream> raw = new MethodDescriptor.Marshaller<>() {
      public InputStream stream(InputStream value) {
        return value;
      }

      public InputStream parse(InputStream stream) {
        return stream;
      }
    };
    return MethodDescriptor.<InputStream, InputStream>newBuilder().setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(name).setRequestMarshaller(raw).setResponseMarshaller(raw).build();
  }
}
