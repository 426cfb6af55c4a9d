package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves both vocabularies of Rerun's catalog protocol under the one service name Rerun's clients
 * dial. Each wire is an ordinary generated service whose messages are parsed with its own .proto;
 * the router merges their methods (as raw byte streams) and hands each call to the wire that
 * matches the caller's {@code x-rerun-client-version}. The client's version is also put in the call's
 * {@link Context} ({@link ClientVersion#current()}), for choices inside a wire (compression).
 *
 * <p>A client outside the supported range gets FAILED_PRECONDITION naming the range on every call;
 * a method its wire does not serve gets UNIMPLEMENTED saying so, never a bare "method not found".
 */
public final class WireRouter {
  private static final Logger log = LoggerFactory.getLogger(WireRouter.class);

  private WireRouter() {}

  public static ServerServiceDefinition route(ServerServiceDefinition partitions, ServerServiceDefinition segments) {
    requireNonNull(partitions, "partitions is null");
    requireNonNull(segments, "segments is null");
    String service = partitions.getServiceDescriptor().getName();
    if (!service.equals(segments.getServiceDescriptor().getName())) {
      throw new IllegalArgumentException("both wires must serve one service: " + service + " vs " + segments.getServiceDescriptor().getName());
    }
    Map<String, ServerMethodDefinition<InputStream, InputStream>> old = byMethodName(ServerInterceptors.useMarshalledMessages(partitions, REQUESTS, RAW));
    Map<String, ServerMethodDefinition<InputStream, InputStream>> neu = byMethodName(ServerInterceptors.useMarshalledMessages(segments, REQUESTS, RAW));
    Map<String, MethodDescriptor<InputStream, InputStream>> all = new LinkedHashMap<>();
    old.forEach((name, m) -> all.put(name, m.getMethodDescriptor()));
    neu.forEach((name, m) -> all.putIfAbsent(name, m.getMethodDescriptor()));
    ServerServiceDefinition.Builder merged = ServerServiceDefinition.builder(service);
    all.forEach((name, descriptor) -> merged.addMethod(descriptor, new Dispatch(name, old.get(name), neu.get(name))));
    return merged.build();
  }

  private static Map<String, ServerMethodDefinition<InputStream, InputStream>> byMethodName(ServerServiceDefinition definition) {
    Map<String, ServerMethodDefinition<InputStream, InputStream>> methods = new LinkedHashMap<>();
    for (ServerMethodDefinition<?, ?> m : definition.getMethods()) {
      @SuppressWarnings("unchecked")
      ServerMethodDefinition<InputStream, InputStream> raw = (ServerMethodDefinition<InputStream, InputStream>) m;
      methods.put(m.getMethodDescriptor().getBareMethodName(), raw);
    }
    return methods;
  }

  /**
   * For gRPC's fallback registry: methods of Rerun's service that neither wire serves (writes of
   * chunks, tables, maintenance, …) answer UNIMPLEMENTED naming the method and what is served,
   * instead of gRPC's bare "method not found".
   */
  public static io.grpc.HandlerRegistry unservedMethods(String serviceName) {
    requireNonNull(serviceName, "serviceName is null");
    return new io.grpc.HandlerRegistry() {
      @Override
      public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
        if (!methodName.startsWith(serviceName + "/")) {
          return null;
        }
        String bare = methodName.substring(serviceName.length() + 1);
        MethodDescriptor<InputStream, InputStream> descriptor = MethodDescriptor.<InputStream, InputStream>newBuilder()
            .setType(MethodDescriptor.MethodType.UNKNOWN)
            .setFullMethodName(methodName)
            .setRequestMarshaller(RAW)
            .setResponseMarshaller(RAW)
            .build();
        return ServerMethodDefinition.create(descriptor, (call, headers) -> Dispatch.refuse(call, Status.UNIMPLEMENTED.withDescription(
            "rrdflight does not serve " + bare + " (yet); it serves " + ClientVersion.SUPPORTED_RANGE
                + " for catalogs, registration and queries")));
      }
    };
  }

  /**
   * A routed method's requests, as gRPC's byte-stream view has them: re-readable (the audit line
   * reads a request before its wire parses it), buffered when the transport's stream is not.
   */
  static final MethodDescriptor.Marshaller<InputStream> REQUESTS = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream.markSupported() ? stream : new BufferedInputStream(stream);
    }
  };

  /**
   * Passes message bytes through untouched: for calls refused before any is read, and for a routed
   * method's answers, each of which stays the stream its wire's protobuf marshaller made, which gRPC
   * drains straight into its frames. gRPC's own byte-stream view
   * ({@code ServerInterceptors.useInputStreamMessages}) wraps answers in a buffered stream too, which
   * hides that: gRPC then serialised every message into a new array and copied it once more through a
   * small buffer, two extra copies of every chunk FetchChunks sent (~4 GB of garbage for 2.1 GB of
   * chunks).
   */
  private static final MethodDescriptor.Marshaller<InputStream> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  };

  /** One method name: picks the wire per call; either side may be missing. */
  private record Dispatch(String method, ServerMethodDefinition<InputStream, InputStream> partitions,
      ServerMethodDefinition<InputStream, InputStream> segments) implements ServerCallHandler<InputStream, InputStream> {

    @Override
    public ServerCall.Listener<InputStream> startCall(ServerCall<InputStream, InputStream> call, Metadata headers) {
      ClientVersion client = ClientVersion.of(headers);
      if (!client.supported()) {
        log.info("refused {} from {}: outside {}", method, client, ClientVersion.SUPPORTED_RANGE);
        return refuse(call, Status.FAILED_PRECONDITION.withDescription(client.unsupportedMessage()));
      }
      ServerMethodDefinition<InputStream, InputStream> target =
          client.generation() == ClientVersion.Generation.PARTITIONS ? partitions : segments;
      if (target == null) {
        return refuse(call, Status.UNIMPLEMENTED.withDescription("rrdflight does not serve " + method + " to " + client
            + " (" + client.generation().name().toLowerCase() + " vocabulary); it serves " + ClientVersion.SUPPORTED_RANGE));
      }
      return Contexts.interceptCall(client.attachTo(Context.current()), call, headers, target.getServerCallHandler());
    }

    private static ServerCall.Listener<InputStream> refuse(ServerCall<InputStream, InputStream> call, Status status) {
      call.close(status, new Metadata());
      return new ServerCall.Listener<>() {};
    }
  }
}
