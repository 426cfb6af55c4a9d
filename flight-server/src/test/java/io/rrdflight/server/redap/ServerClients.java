package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The clients an IT talks to the real server process through, on loopback: a gRPC channel for the
 * Rerun service and a Flight SQL client with its own allocator. {@link #close()} closes them (the
 * allocator last, failing on buffers a test left); the test stops its server itself.
 */
final class ServerClients implements AutoCloseable {
  final ManagedChannel channel;
  final BufferAllocator allocator;
  final FlightSqlClient sql;

  /** Clients of the server on {@code port}, the Rerun calls going through {@code channel} (which this then owns). */
  ServerClients(ManagedChannel channel, int port) {
    this.channel = requireNonNull(channel, "channel");
    this.allocator = new RootAllocator();
    this.sql = new FlightSqlClient(FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build());
  }

  /**
   * A plaintext channel to the server on {@code port} that says it is rerun-sdk 0.27, as that SDK
   * does, so that the 0.27 stubs are answered in the 0.27 vocabulary.
   */
  static NettyChannelBuilder asRerun027(int port) {
    Metadata version = new Metadata();
    version.put(Metadata.Key.of("x-rerun-client-version", Metadata.ASCII_STRING_MARSHALLER), "rerun-test/0.27.3");
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().intercept(MetadataUtils.newAttachHeadersInterceptor(version));
  }

  @Override
  public void close() throws Exception {
    try {
      sql.close();
    } finally {
      try {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } finally {
        allocator.close();
      }
    }
  }
}
