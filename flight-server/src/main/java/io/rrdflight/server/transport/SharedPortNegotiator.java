package io.rrdflight.server.transport;

import static java.util.Objects.requireNonNull;

import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.netty.channel.ChannelHandler;
import io.netty.util.AsciiString;

/**
 * Lets one plaintext port serve gRPC over HTTP/2 (h2c, prior knowledge) and plain HTTP/1.1 requests.
 * The Rerun SDK and viewer send {@code GET /version} as HTTP/1.1 to the gRPC port before any gRPC call,
 * so both must be answered on the same listener. Each new connection starts with a {@link ProtocolSniffer}
 * that hands HTTP/2 connections to gRPC's own plaintext handler and answers HTTP/1.1 itself.
 */
public final class SharedPortNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
  private final InternalProtocolNegotiator.ProtocolNegotiator grpcPlaintext = InternalProtocolNegotiators.serverPlaintext();
  private final HttpEndpoints http;
  private final ConnectionLimits limits;

  public SharedPortNegotiator(HttpEndpoints http) {
    this(http, ConnectionLimits.DEFAULTS);
  }

  /** @param limits the connection cap and the first-bytes timeout, shared by every connection of the port */
  public SharedPortNegotiator(HttpEndpoints http, ConnectionLimits limits) {
    this.http = requireNonNull(http, "http is null");
    this.limits = requireNonNull(limits, "limits is null");
  }

  @Override
  public AsciiString scheme() {
    return grpcPlaintext.scheme();
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    return new ProtocolSniffer(grpcPlaintext.newHandler(grpcHandler), http, limits);
  }

  @Override
  public void close() {
    grpcPlaintext.close();
  }
}
