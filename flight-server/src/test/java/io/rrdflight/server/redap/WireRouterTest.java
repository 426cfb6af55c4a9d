package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import io.grpc.Attributes;
import io.grpc.Drainable;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.rrdflight.rrd.proto.ArrowMsg;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WireRouterTest {
  private static final String SERVICE = "test.Chunks";
  private static final MethodDescriptor<ArrowMsg, ArrowMsg> ECHO = MethodDescriptor.<ArrowMsg, ArrowMsg>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Echo"))
      .setRequestMarshaller(ProtoUtils.marshaller(ArrowMsg.getDefaultInstance()))
      .setResponseMarshaller(ProtoUtils.marshaller(ArrowMsg.getDefaultInstance()))
      .build();

  /** A wire that answers each request with its payload, tagged with the wire's generation. */
  private static ServerServiceDefinition wire(int tag) {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, observer) -> {
          observer.onNext(request.toBuilder().setUncompressedSize(tag).build());
          observer.onCompleted();
        }))
        .build();
  }

  @Test
  void eachClientGenerationReachesItsWireAndTheAnswerGoesToGrpcAsTheWiresOwnStream() throws Exception {
    ServerServiceDefinition routed = WireRouter.route(wire(27), wire(41));
    ArrowMsg request = ArrowMsg.newBuilder().setPayload(ByteString.copyFromUtf8("chunk bytes")).build();
    for (String client : List.of("rerun-py/0.27.3", "rerun-py/0.41.0")) {
      RecordingCall call = call(routed, client, request);
      assertNull(call.status.getDescription(), client);
      assertEquals(Status.Code.OK, call.status.getCode(), client);
      InputStream answer = call.sent.get(0);
      // Drainable: gRPC writes it straight into its frames, without serialising it into an array first.
      assertInstanceOf(Drainable.class, answer, client);
      ArrowMsg parsed = ArrowMsg.parseFrom(answer);
      assertEquals(request.getPayload(), parsed.getPayload());
      assertEquals(client.endsWith("0.27.3") ? 27 : 41, parsed.getUncompressedSize());
    }
  }

  @Test
  void aRequestThatCannotBeReReadIsBufferedSoTheAuditLineCanReadItFirst() throws Exception {
    InputStream once = new InputStream() {
      private final InputStream bytes = new ByteArrayInputStream(new byte[] {1, 2});

      @Override
      public int read() throws java.io.IOException {
        return bytes.read();
      }
    };
    InputStream parsed = WireRouter.REQUESTS.parse(once);
    assertEquals(true, parsed.markSupported());
    parsed.mark(2);
    assertEquals(1, parsed.read());
    parsed.reset();
    assertEquals(1, parsed.read());
  }

  @SuppressWarnings("unchecked")
  private static RecordingCall call(ServerServiceDefinition routed, String client, ArrowMsg request) {
    ServerMethodDefinition<InputStream, InputStream> method =
        (ServerMethodDefinition<InputStream, InputStream>) routed.getMethod(ECHO.getFullMethodName());
    RecordingCall call = new RecordingCall(method.getMethodDescriptor());
    Metadata headers = new Metadata();
    headers.put(ClientVersion.HEADER, client);
    ServerCall.Listener<InputStream> listener = method.getServerCallHandler().startCall(call, headers);
    listener.onMessage(method.getMethodDescriptor().parseRequest(ECHO.streamRequest(request)));
    listener.onHalfClose();
    listener.onComplete();
    return call;
  }

  /** The transport's side of one call: what the service sent, and how it ended. */
  private static final class RecordingCall extends ServerCall<InputStream, InputStream> {
    private final MethodDescriptor<InputStream, InputStream> method;
    final List<InputStream> sent = new ArrayList<>();
    Status status;

    RecordingCall(MethodDescriptor<InputStream, InputStream> method) {
      this.method = method;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(InputStream message) {
      sent.add(method.streamResponse(message));
    }

    @Override
    public void close(Status status, Metadata trailers) {
      this.status = status;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }

    @Override
    public MethodDescriptor<InputStream, InputStream> getMethodDescriptor() {
      return method;
    }
  }
}
