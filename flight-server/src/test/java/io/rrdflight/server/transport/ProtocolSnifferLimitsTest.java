package io.rrdflight.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The connection cap and the first-bytes timeout, on Netty's embedded channel with its own clock. */
class ProtocolSnifferLimitsTest {
  private static final Duration FIRST_BYTES = Duration.ofSeconds(10);

  private static EmbeddedChannel connect(ConnectionLimits limits) {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.freezeTime();
    channel.pipeline().addLast(new ProtocolSniffer(new ChannelInboundHandlerAdapter(), new HttpEndpoints("rrdflight test"), limits));
    return channel;
  }

  @Test
  void connectionsBeyondTheCapAreClosedAsTheyOpen() {
    ConnectionLimits limits = new ConnectionLimits(2, FIRST_BYTES);
    EmbeddedChannel a = connect(limits);
    EmbeddedChannel b = connect(limits);
    EmbeddedChannel c = connect(limits);
    assertTrue(a.isOpen() && b.isOpen());
    assertFalse(c.isOpen(), "the third connection is over the cap");
    assertEquals(2, limits.open());
    a.close();
    assertEquals(1, limits.open(), "a closed connection frees its place");
    assertTrue(connect(limits).isOpen());
  }

  @Test
  void aSilentConnectionIsClosedAfterTheFirstBytesTimeout() {
    ConnectionLimits limits = new ConnectionLimits(10, FIRST_BYTES);
    EmbeddedChannel silent = connect(limits);
    silent.advanceTimeBy(FIRST_BYTES.toSeconds() - 1, TimeUnit.SECONDS);
    silent.runScheduledPendingTasks();
    assertTrue(silent.isOpen());
    silent.advanceTimeBy(2, TimeUnit.SECONDS);
    silent.runScheduledPendingTasks();
    assertFalse(silent.isOpen());
    assertEquals(0, limits.open());
  }

  @Test
  void anHttp1RequestHeadThatNeverEndsIsClosedToo() {
    EmbeddedChannel slow = connect(new ConnectionLimits(10, FIRST_BYTES));
    slow.writeInbound(Unpooled.copiedBuffer("GET /version HTTP/1.1\r\nHost: x\r\n", StandardCharsets.US_ASCII));
    slow.advanceTimeBy(FIRST_BYTES.toSeconds() + 1, TimeUnit.SECONDS);
    slow.runScheduledPendingTasks();
    assertFalse(slow.isOpen());
  }

  @Test
  void aConnectionThatSpeaksInTimeStaysOpen() {
    EmbeddedChannel grpc = connect(new ConnectionLimits(10, FIRST_BYTES));
    grpc.writeInbound(Unpooled.copiedBuffer("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", StandardCharsets.US_ASCII));
    grpc.advanceTimeBy(FIRST_BYTES.toSeconds() * 3, TimeUnit.SECONDS);
    grpc.runScheduledPendingTasks();
    assertTrue(grpc.isOpen(), "handed over to gRPC, whose own idle timeout applies from then on");
  }
}
