package io.rrdflight.server.cli;

import io.rrdflight.catalog.SqliteNativeLibrary;
import io.rrdflight.server.redap.TrainingClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.nio.channels.Channels;
import java.util.List;
import net.jpountz.lz4.LZ4Factory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.LoggerFactory;

/**
 * Runs, on a daemon thread, one-time initialisation that every server start needs and that does
 * not depend on the arguments, while the main thread parses them: picocli takes about 80 ms there
 * (its Java 5 class files cannot go into the class-data archive), which this work then overlaps on
 * a second core. Each step is something the start does anyway, only earlier: the logger's
 * configuration (its date format sets up locale data), the descriptors of Rerun's catalog service
 * (both wires), Arrow's allocator (Netty's platform probing), sqlite-jdbc's native library,
 * Calcite's driver, and the static set-up of the gRPC and Flight servers.
 * The JVM initialises a class once, and a thread that needs one being initialised here waits for
 * it, so the outcome is the same whichever thread gets there first; a failure here is ignored and
 * met again, and reported, where the start needs the thing.
 */
final class ServerWarmup {
  private ServerWarmup() {}

  static void start() {
    Thread t = new Thread(ServerWarmup::run, "rrdflight-warmup");
    t.setDaemon(true);
    t.start();
  }

  /**
   * After the banner, on a daemon thread: the one-time set-up of the first calls, done before a client
   * makes them (a test suite's client connects right after the ready line; on two cores this runs beside
   * it). Arrow's Schema (it initialises Jackson, ~75 ms), an Arrow IPC stream written and read in memory,
   * LZ4 (the parts of 0.29+ clients), and — when {@code port} takes plaintext calls without a token — the
   * opening calls of both SDK generations over loopback (Version, WhoAmI: they read nothing of the
   * catalog), which set up the first connection's HTTP/2 and gRPC machinery. Touches no file and no
   * catalog row; a failure is ignored (the calls meet it again and report it).
   */
  static void afterReady(String host, int port, boolean greet) {
    Thread t = new Thread(() -> firstCalls(host, port, greet), "rrdflight-warmup-calls");
    t.setDaemon(true);
    t.start();
  }

  private static void firstCalls(String host, int port, boolean greet) {
    try (BufferAllocator allocator = new RootAllocator(1 << 20)) {
      Schema schema = new Schema(List.of(Field.nullable("warmup", ArrowType.Utf8.INSTANCE)));
      schema.toJson();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
          ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
        ((VarCharVector) root.getVector(0)).setSafe(0, new byte[] {'w'});
        root.setRowCount(1);
        writer.start();
        writer.writeBatch();
        writer.end();
      }
      byte[] lz4 = LZ4Factory.fastestInstance().fastCompressor().compress(out.toByteArray());
      LZ4Factory.safeInstance().safeDecompressor().decompress(lz4, out.size());
      try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(out.toByteArray()), allocator)) {
        while (reader.loadNextBatch()) {
          reader.getVectorSchemaRoot().getRowCount();
        }
      }
      if (greet) {
        new TrainingClient(host, port, new PrintStream(PrintStream.nullOutputStream())).greet();
      }
    } catch (Throwable e) {
      // Only a head start, as above.
    }
  }

  private static void run() {
    try {
      // In the order the start needs them: the auth layer reads the Rerun service's descriptors first.
      LoggerFactory.getLogger(ServerWarmup.class);
      io.rrdflight.server.redap.proto.RerunCloudServiceGrpc.getServiceDescriptor();
      io.rrdflight.server.redap.wire.segments.RerunCloudServiceGrpc.getServiceDescriptor();
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      lookup.ensureInitialized(org.apache.arrow.memory.RootAllocator.class);
      SqliteNativeLibrary.load();
      lookup.ensureInitialized(io.rrdflight.sql.SqlEngine.class);
      lookup.ensureInitialized(io.grpc.netty.NettyServerBuilder.class);
      lookup.ensureInitialized(org.apache.arrow.flight.FlightServer.class);
    } catch (Throwable e) {
      // Only a head start: whatever failed here fails again where the server needs it, and is reported there.
    }
  }
}
