package io.rrdflight.server.cli;

import io.rrdflight.catalog.SqliteNativeLibrary;
import java.lang.invoke.MethodHandles;
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
