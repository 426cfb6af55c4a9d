package io.rrdflight.server.transport;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request bytes that do not parse are the client's fault, but gRPC answers them with UNKNOWN
 * ("Application error processing RPC"). A service wrapped here answers INVALID_ARGUMENT naming the
 * method, and logs one line. How: the request marshaller notes the failure for the calling thread
 * and returns the empty message; the call's listener, which gRPC invokes on the same thread right
 * after parsing, closes the call instead of passing the message on.
 */
public final class MalformedRequests {
  private static final Logger log = LoggerFactory.getLogger(MalformedRequests.class);
  private static final ThreadLocal<Status> MALFORMED = new ThreadLocal<>();

  private MalformedRequests() {}

  public static ServerServiceDefinition invalidArgument(ServerServiceDefinition service) {
    ServerServiceDefinition.Builder wrapped = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      wrapped.addMethod(wrap(method));
    }
    return wrapped.build();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> wrap(ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> descriptor = method.getMethodDescriptor();
    if (!(descriptor.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<Q> parse)) {
      return method; // no empty message to stand in for a bad one
    }
    String name = descriptor.getBareMethodName();
    MethodDescriptor.Marshaller<Q> checked = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(Q value) {
        return parse.stream(value);
      }

      @Override
      public Q parse(InputStream stream) {
        try {
          return parse.parse(stream);
        } catch (StatusRuntimeException e) {
          log.warn("{}: malformed request: {}", name, e.getStatus().getDescription());
          MALFORMED.set(Status.INVALID_ARGUMENT.withDescription(name + ": malformed request: " + e.getStatus().getDescription()));
          return parse.getMessagePrototype();
        }
      }
    };
    ServerCallHandler<Q, R> handler = method.getServerCallHandler();
    ServerCallHandler<Q, R> refusing = (call, headers) -> new Refusing<>(handler.startCall(call, headers), call);
    return ServerMethodDefinition.create(descriptor.toBuilder().setRequestMarshaller(checked).build(), refusing);
  }

  /** Passes messages on unless the one just parsed was malformed; then closes the call. */
  private static final class Refusing<Q, R> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final ServerCall<Q, R> call;
    private boolean closed;

    Refusing(ServerCall.Listener<Q> delegate, ServerCall<Q, R> call) {
      super(delegate);
      this.call = call;
    }

    @Override
    public void onMessage(Q message) {
      Status malformed = MALFORMED.get();
      if (malformed != null) {
        MALFORMED.remove();
        if (!closed) {
          closed = true;
          call.close(malformed, new Metadata());
        }
        return;
      }
      if (!closed) {
        super.onMessage(message);
      }
    }

    @Override
    public void onHalfClose() {
      if (!closed) {
        super.onHalfClose();
      }
    }
  }
}
