package io.rrdflight.server.transport;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandler;
import io.netty.internal.tcnative.SSL;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one TLS connection cost, as evidence for scripts/bench/security_cost.py: whether the handshake
 * was resumed, the gRPC calls it carried (HTTP/2 HEADERS frames from the client), the client's flow
 * control (WINDOW_UPDATE frames, and PINGs, which its adaptive window sends to size itself), the HTTP/2 DATA frames
 * and flushes the server wrote, and the TLS records they became (how many held a full 16 KB). One line
 * when the connection closes, only when this class's logger is at debug; nothing is installed otherwise.
 * HTTP/1.1 connections ({@code GET /version}) show no calls or frames, only their records.
 */
final class TlsTraffic {
  private static final Logger log = LoggerFactory.getLogger(TlsTraffic.class);
  private static final int TLS_APPLICATION_DATA = 23;
  private static final int HTTP2_DATA = 0;
  private static final int HTTP2_HEADERS = 1;
  private static final int HTTP2_PING = 6;
  private static final int HTTP2_WINDOW_UPDATE = 8;

  private final SocketAddress client;
  private final FrameTally recordsOut = FrameTally.tlsRecords();
  private final FrameTally framesIn = FrameTally.http2Frames(true);
  private final FrameTally framesOut = FrameTally.http2Frames(false);
  private long flushes;
  private String handshake = "no handshake";
  private boolean http2;

  private TlsTraffic(SocketAddress client) {
    this.client = client;
  }

  static boolean enabled() {
    return log.isDebugEnabled();
  }

  /** Counts around {@code tls}, which is in {@code pipeline} under the name {@code tlsName}. */
  static void install(ChannelPipeline pipeline, String tlsName, SslHandler tls) {
    requireNonNull(tls, "tls is null");
    TlsTraffic traffic = new TlsTraffic(pipeline.channel().remoteAddress());
    pipeline.addBefore(tlsName, null, traffic.new Ciphertext());
    pipeline.addAfter(tlsName, null, traffic.new Plaintext());
    tls.handshakeFuture().addListener(done -> {
      traffic.http2 = "h2".equals(tls.applicationProtocol());
      traffic.handshake = !done.isSuccess() ? "handshake failed"
          : (tls.engine() instanceof ReferenceCountedOpenSslEngine engine && SSL.isSessionReused(engine.sslPointer())
              ? "resumed handshake" : "full handshake") + ", ALPN " + tls.applicationProtocol();
    });
  }

  private void report() {
    log.debug("TLS traffic of {}: {}, {} gRPC calls; read {} WINDOW_UPDATE and {} PING frames; wrote {} HTTP/2 DATA frames"
            + " ({} bytes, {} of 16 KB) in {} flushes, as {} TLS records ({} bytes, {} of 16 KB)", client, handshake,
        framesIn.units(HTTP2_HEADERS), framesIn.units(HTTP2_WINDOW_UPDATE), framesIn.units(HTTP2_PING), framesOut.units(HTTP2_DATA), framesOut.payloadBytes(HTTP2_DATA), framesOut.full(HTTP2_DATA), flushes,
        recordsOut.units(), recordsOut.payloadBytes(), recordsOut.full(TLS_APPLICATION_DATA));
  }

  /** Between the socket and the SslHandler: the records written. */
  private final class Ciphertext extends ChannelDuplexHandler {
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
      if (msg instanceof ByteBuf bytes) {
        recordsOut.scan(bytes);
      }
      super.write(ctx, msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      report();
      super.channelInactive(ctx);
    }
  }

  /** Between the SslHandler and HTTP/2: the frames read and written, and the flushes that end records. */
  private final class Plaintext extends ChannelDuplexHandler {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (http2 && msg instanceof ByteBuf bytes) {
        framesIn.scan(bytes);
      }
      super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
      if (http2 && msg instanceof ByteBuf bytes) {
        framesOut.scan(bytes);
      }
      super.write(ctx, msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) throws Exception {
      flushes++;
      super.flush(ctx);
    }
  }
}
