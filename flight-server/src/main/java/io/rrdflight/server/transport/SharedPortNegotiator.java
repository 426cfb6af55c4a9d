package io.rrdflight.server.transport;

import static java.util.Objects.requireNonNull;

import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AsciiString;
import java.util.Optional;

/**
 * Lets one port serve gRPC over HTTP/2 and plain HTTP/1.1 requests. The Rerun SDK and viewer send
 * {@code GET /version} as HTTP/1.1 to the gRPC port before any gRPC call, so both must be answered on
 * the same listener. Each new connection starts with a {@link ProtocolSniffer} that hands HTTP/2
 * connections to gRPC's own plaintext handler and answers HTTP/1.1 itself. With TLS, a
 * {@link TlsDetector} goes first and decrypts, and the sniffer sees what is inside.
 */
public final class SharedPortNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
  private static final AsciiString HTTPS = AsciiString.of("https");

  private final InternalProtocolNegotiator.ProtocolNegotiator grpcPlaintext = InternalProtocolNegotiators.serverPlaintext();
  private final HttpEndpoints http;
  private final ConnectionLimits limits;
  private final Optional<SslContext> tls;

  public SharedPortNegotiator(HttpEndpoints http) {
    this(http, ConnectionLimits.DEFAULTS, Optional.empty());
  }

  /**
   * @param limits the connection cap and the first-bytes timeout, shared by every connection of the port
   * @param tls the port's TLS context ({@link ServerTls}); empty for plaintext (h2c and HTTP/1.1)
   */
  public SharedPortNegotiator(HttpEndpoints http, ConnectionLimits limits, Optional<SslContext> tls) {
    this.http = requireNonNull(http, "http is null");
    this.limits = requireNonNull(limits, "limits is null");
    this.tls = requireNonNull(tls, "tls is null");
  }

  @Override
  public AsciiString scheme() {
    return tls.isPresent() ? HTTPS : grpcPlaintext.scheme();
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    ChannelHandler sniffer = new ProtocolSniffer(grpcPlaintext.newHandler(grpcHandler), http, limits);
    return tls.<ChannelHandler>map(ssl -> new TlsThenSniff(new TlsDetector(ssl, limits.firstBytesTimeout()), sniffer)).orElse(sniffer);
  }

  @Override
  public void close() {
    grpcPlaintext.close();
  }

  /** Puts the TLS detector and the sniffer, in that order, where gRPC put this handler. */
  private static final class TlsThenSniff extends ChannelHandlerAdapter {
    private final ChannelHandler detector;
    private final ChannelHandler sniffer;

    TlsThenSniff(ChannelHandler detector, ChannelHandler sniffer) {
      this.detector = detector;
      this.sniffer = sniffer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.pipeline().addAfter(ctx.name(), null, sniffer);
      ctx.pipeline().addAfter(ctx.name(), null, detector);
      ctx.pipeline().remove(this);
    }
  }
}
