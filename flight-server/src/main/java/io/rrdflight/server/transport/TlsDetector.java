package io.rrdflight.server.transport;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of every connection when the port serves TLS: a TLS ClientHello (a handshake record,
 * content type 22, version 3.x) replaces this handler with an {@code SslHandler}, which receives the
 * bytes read so far; the {@link ProtocolSniffer} after it then sees the decrypted bytes and tells
 * gRPC from HTTP/1.1 as on a plaintext port. Plaintext is refused, so a token never crosses the
 * network in the clear: an HTTP/1.1 request gets a one-line 400, anything else a closed connection.
 *
 * <p>Silent clients: the sniffer's first-bytes timer runs from the moment the connection opens, so it
 * also closes a client that sends no ClientHello, or finishes the handshake and then sends nothing.
 * The handshake gets the same bound of its own, instead of netty's default of 10 s.
 */
final class TlsDetector extends ByteToMessageDecoder {
  private static final Logger log = LoggerFactory.getLogger(TlsDetector.class);
  private static final int TLS_HANDSHAKE_RECORD = 22;
  /**
   * Plaintext bytes the SslHandler gathers per wrap (netty's default: one 16 KB record). The gather copy
   * stays either way (an HTTP/2 frame's 9-byte header and its 16 KB payload are separate buffers, and a
   * record must be contiguous; no gathering at all would make every header a record of its own, which
   * cost the client more than the copy), but 64 KB wraps four records into one output buffer: a quarter
   * of the buffers, promises and socket-queue entries per byte sent. Records stay 16 KB.
   */
  static final int WRAP_DATA_BYTES = 64 * 1024;
  private static final byte[] PLAINTEXT_REFUSED = HttpEndpoints.response(400, "Bad Request",
      "rrdflight: this port speaks TLS only: use https://, rerun+https:// or grpc+tls://\n");

  private final SslContext sslContext;
  private final Duration handshakeTimeout;

  TlsDetector(SslContext sslContext, Duration handshakeTimeout) {
    this.sslContext = requireNonNull(sslContext, "sslContext is null");
    this.handshakeTimeout = requireNonNull(handshakeTimeout, "handshakeTimeout is null");
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (in.readableBytes() < 2) {
      return;
    }
    int first = in.getUnsignedByte(in.readerIndex());
    int major = in.getUnsignedByte(in.readerIndex() + 1);
    if (first == TLS_HANDSHAKE_RECORD && major == 3) {
      // Replacing a ByteToMessageDecoder hands its buffered bytes to the handler taking its place.
      SslHandler tls = sslContext.newHandler(ctx.alloc());
      tls.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
      tls.setWrapDataSize(WRAP_DATA_BYTES);
      ctx.pipeline().replace(this, "tls", tls);
      if (TlsTraffic.enabled()) {
        TlsTraffic.install(ctx.pipeline(), "tls", tls);
      }
      if (log.isDebugEnabled()) {
        logNegotiated(tls, ctx.channel().remoteAddress());
      }
      return;
    }
    in.skipBytes(in.readableBytes());
    boolean looksHttp1 = Character.isUpperCase(first) && Character.isUpperCase(major);
    if (looksHttp1) {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(PLAINTEXT_REFUSED)).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  /**
   * Once per connection: the protocol and cipher suite the handshake chose, and ALPN's pick. In TLS 1.3
   * BoringSSL takes the first AES-GCM suite of the client's list (the server cannot set an order), so
   * this is what says which suite a client costs the server (scripts/bench/README.md, Security).
   */
  private static void logNegotiated(SslHandler tls, SocketAddress client) {
    tls.handshakeFuture().addListener(done -> {
      if (done.isSuccess()) {
        SSLSession session = tls.engine().getSession();
        log.debug("TLS handshake with {}: {} {}, ALPN {}", client, session.getProtocol(), session.getCipherSuite(), tls.applicationProtocol());
      }
    });
  }
}
