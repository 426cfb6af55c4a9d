package io.rrdflight.server.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.rrdflight.server.TestCa;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a TLS connection sends, on Netty's embedded channels: the server's detector against a JDK client. */
class TlsDetectorTest {
  private static final int TLS_APPLICATION_DATA = 23;
  /** RFC 8446 5.2: a record's ciphertext is at most 2^14 + 256 bytes. */
  private static final int MAX_CIPHERTEXT = (1 << 14) + 256;

  @Test
  void anAnswerOfManyHttp2SizedPiecesArrivesWholeInRecordsOfAtMost16KbSeveralToAWrite(@TempDir Path caDir) throws Exception {
    TestCa ca = TestCa.create(caDir);
    EmbeddedChannel server = new EmbeddedChannel(new TlsDetector(ServerTls.fromPem(ca.serverCertPem(), ca.serverKeyPem()),
        Duration.ofSeconds(10)));
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    EmbeddedChannel client = new EmbeddedChannel(
        SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(ca.caPem().toFile()).build()
            .newHandler(ByteBufAllocator.DEFAULT, "localhost", 443),
        new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf bytes = (ByteBuf) msg;
            try {
              received.writeBytes(ByteBufUtil.getBytes(bytes));
            } finally {
              bytes.release();
            }
          }
        });
    try {
      exchange(client, server, new ByteArrayOutputStream());
      SslHandler serverTls = server.pipeline().get(SslHandler.class);
      assertTrue(serverTls.handshakeFuture().isSuccess(), () -> "handshake: " + serverTls.handshakeFuture().cause());

      // As HTTP/2 writes a FetchChunks answer: a 9-byte frame header, then up to 16 KB of payload, in one flush.
      Random random = new Random(10);
      ByteArrayOutputStream sent = new ByteArrayOutputStream();
      for (int frame = 0; frame < 40; frame++) {
        byte[] header = new byte[9];
        byte[] payload = new byte[frame % 7 == 0 ? 1 + random.nextInt(16 * 1024) : 16 * 1024];
        random.nextBytes(header);
        random.nextBytes(payload);
        sent.writeBytes(header);
        sent.writeBytes(payload);
        server.write(Unpooled.wrappedBuffer(header));
        server.write(Unpooled.directBuffer(payload.length).writeBytes(payload));
      }
      server.flush();
      ByteArrayOutputStream ciphertext = new ByteArrayOutputStream();
      int writes = exchange(server, client, ciphertext);

      assertArrayEquals(sent.toByteArray(), received.toByteArray(), "the client reads what the server wrote, in order");
      byte[] wire = ciphertext.toByteArray();
      int records = 0;
      for (int at = 0; at < wire.length; records++) {
        int type = wire[at] & 0xFF;
        int length = ((wire[at + 3] & 0xFF) << 8) | (wire[at + 4] & 0xFF);
        assertEquals(TLS_APPLICATION_DATA, type, "record " + records + " at byte " + at);
        assertTrue(length <= MAX_CIPHERTEXT, "record " + records + " carries " + length + " bytes");
        at += 5 + length;
      }
      assertTrue(records >= sent.size() / (16 * 1024), records + " records for " + sent.size() + " bytes");
      // Each socket write carries several records (TlsDetector.WRAP_DATA_BYTES), not one buffer per record.
      assertTrue(writes * 2 < records, writes + " socket writes for " + records + " records");
    } finally {
      client.finishAndReleaseAll();
      server.finishAndReleaseAll();
    }
  }

  /**
   * Moves what {@code from} wrote into {@code to}, and the replies back, until neither has more to say;
   * {@code wire} gets the bytes {@code from} sent. Returns the buffers {@code from} wrote to its socket.
   */
  private static int exchange(EmbeddedChannel from, EmbeddedChannel to, ByteArrayOutputStream wire) {
    int writes = 0;
    for (int moved = 1; moved > 0; writes += moved) {
      moved = pump(from, to, wire);
      while (pump(to, from, new ByteArrayOutputStream()) > 0) {
        moved += pump(from, to, wire);
      }
    }
    return writes;
  }

  private static int pump(EmbeddedChannel from, EmbeddedChannel to, ByteArrayOutputStream wire) {
    int moved = 0;
    for (ByteBuf bytes; (bytes = from.readOutbound()) != null; moved++) {
      wire.writeBytes(ByteBufUtil.getBytes(bytes));
      to.writeInbound(bytes);
    }
    from.runPendingTasks();
    to.runPendingTasks();
    return moved;
  }
}
