package io.rrdflight.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.server.Fixtures;
import io.rrdflight.server.RrdflightServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The warm-up after the banner and the class-data training's calls, against a real server in this JVM. */
class ServerWarmupTest {

  @Test
  void theBundledSampleIsIndexedInMemoryWithoutLeaking() throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      int chunks = ServerWarmup.indexSample(allocator);
      assertTrue(chunks > 0, "the jar carries rerun-sdk 0.41's fixture; it indexed to " + chunks + " chunks");
      assertEquals(0, allocator.getAllocatedMemory());
    }
  }

  @Test
  void theRegistrationRehearsalCommitsTheSampleInACatalogOfItsOwnAndDeletesIt() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    List<Path> before = rehearsalDirs(tmp);
    PrintStream err = System.err;
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    System.setErr(new PrintStream(said, true, StandardCharsets.UTF_8));
    try (BufferAllocator allocator = new RootAllocator()) {
      assertEquals(1, ServerWarmup.rehearseRegistration(ServerWarmup.sample(), allocator),
          "rerun-sdk 0.41's fixture, one recording, indexed from its footer and committed");
      assertEquals(0, allocator.getAllocatedMemory());
    } finally {
      System.setErr(err);
    }
    assertEquals(before, rehearsalDirs(tmp), "its temporary directory is gone");
    String text = said.toString(StandardCharsets.UTF_8);
    assertFalse(text.contains("registration:"), "a rehearsal's progress would read as the user's: " + text);
  }

  @Test
  void anEmptyServersWarmUpLeavesItsSqlStepsUntilAQuietSpell(@TempDir Path tmp) throws Exception {
    try (RrdflightServer server = start(tmp.resolve("data"));
        BufferAllocator allocator = new RootAllocator()) {
      AtomicInteger asked = new AtomicInteger();
      assertEquals(new ServerWarmup.Done(true, false), warmUp(server, allocator, () -> 0, () -> {
        asked.incrementAndGet();
        return false; // the server closed while calls kept coming
      }), "no quiet spell: the SQL steps are skipped");
      assertEquals(1, asked.get());
      assertEquals(new ServerWarmup.Done(true, true), warmUp(server, allocator, () -> 0, () -> true));
      assertEquals(0, allocator.getAllocatedMemory());
    }
  }

  @Test
  void aServerThatStartsWithRecordingsRunsItsSqlWarmUpWithoutWaiting(@TempDir Path tmp) throws Exception {
    try (RrdflightServer server = start(tmp.resolve("data"));
        BufferAllocator allocator = new RootAllocator()) {
      server.catalog().syncDirectory("versions", Fixtures.path("versions"), java.time.Duration.ofMinutes(1));
      assertEquals(new ServerWarmup.Done(true, true), warmUp(server, allocator, () -> 0, () -> {
        throw new AssertionError("a server with recordings does not wait for a quiet spell");
      }));
      assertEquals(0, allocator.getAllocatedMemory());
    }
  }

  @Test
  void theRehearsalIsLeftOutOnceAClientHasCalled(@TempDir Path tmp) throws Exception {
    try (RrdflightServer server = start(tmp.resolve("data"));
        BufferAllocator allocator = new RootAllocator()) {
      AtomicInteger calls = new AtomicInteger();
      // The count moves after the warm-up's greetings: a client's create_dataset came meanwhile.
      assertEquals(new ServerWarmup.Done(false, true), warmUp(server, allocator, calls::incrementAndGet, () -> true));
    }
  }

  @Test
  void aClientThatCalledBeforeTheWarmUpLeavesItNoCallsOfItsOwnNorTheRehearsal(@TempDir Path tmp) throws Exception {
    try (RrdflightServer server = start(tmp.resolve("data"));
        BufferAllocator allocator = new RootAllocator()) {
      server.catalog().syncDirectory("versions", Fixtures.path("versions"), java.time.Duration.ofMinutes(1));
      long before = server.callsStarted();
      // A client's call was already counted: the greetings are left out, and the GROUP BY of a server
      // with recordings still runs, over the sample indexed then.
      assertEquals(new ServerWarmup.Done(false, true),
          ServerWarmup.firstCalls("127.0.0.1", server.port(), true, server.catalog(), !ServerWarmup.holdsRecordings(server.catalog()),
              allocator, () -> 1, () -> true));
      assertEquals(before, server.callsStarted(), "the warm-up called the server");
      assertEquals(0, allocator.getAllocatedMemory());
    }
  }

  @Test
  void aServerCountsTheCallsItStarts(@TempDir Path tmp) throws Exception {
    try (RrdflightServer server = start(tmp.resolve("data"))) {
      long before = server.callsStarted();
      new io.rrdflight.server.redap.TrainingClient("127.0.0.1", server.port(), new PrintStream(PrintStream.nullOutputStream())).greet();
      assertTrue(server.callsStarted() > before, "the greetings' Version and WhoAmI: " + before + " -> " + server.callsStarted());
    }
  }

  @Test
  void anEmptyServersSqlDoorIsUsedFromItsFirstFlightCallNotFromRerunCalls(@TempDir Path tmp) throws Exception {
    AtomicBoolean used = new AtomicBoolean();
    try (RrdflightServer server = start(tmp.resolve("data"))) {
      Thread waiter = new Thread(() -> used.set(server.awaitSqlDoor()));
      waiter.start();
      new io.rrdflight.server.redap.TrainingClient("127.0.0.1", server.port(), new PrintStream(PrintStream.nullOutputStream())).greet();
      waiter.join(500);
      assertTrue(waiter.isAlive(), "Rerun's Version and WhoAmI do not open the SQL door");
      callFlight(server);
      waiter.join(10_000);
      assertFalse(waiter.isAlive(), "a Flight call opens it");
      assertTrue(used.get());
    }
  }

  @Test
  void waitingForTheSqlDoorEndsWhenTheServerCloses(@TempDir Path tmp) throws Exception {
    AtomicBoolean used = new AtomicBoolean(true);
    Thread waiter;
    try (RrdflightServer server = start(tmp.resolve("data"))) {
      waiter = new Thread(() -> used.set(server.awaitSqlDoor()));
      waiter.start();
    }
    waiter.join();
    assertFalse(used.get(), "a closing server's SQL door is not waited for");
  }

  @Test
  void waitingForAQuietSpellEndsWhenTheServerCloses(@TempDir Path tmp) throws Exception {
    AtomicBoolean quiet = new AtomicBoolean(true);
    Thread waiter;
    try (RrdflightServer server = start(tmp.resolve("data"))) {
      assertTrue(server.awaitQuiet(java.time.Duration.ZERO), "no spell to wait for");
      waiter = new Thread(() -> quiet.set(server.awaitQuiet(java.time.Duration.ofDays(1))));
      waiter.start();
    }
    waiter.join();
    assertFalse(quiet.get(), "a closing server is never quiet enough for a head start");
  }

  @Test
  void theWarmUpQueryCountsItsTwoRowsWithoutLeaking(@TempDir Path tmp) throws Exception {
    try (RrdflightServer server = start(tmp.resolve("data"));
        BufferAllocator allocator = new RootAllocator()) {
      assertEquals(2, ServerWarmup.sampleQuery(allocator, server.catalog()));
      assertEquals(0, allocator.getAllocatedMemory());
    }
  }

  @Test
  void theAuditSummariesOfTheFirstMutationsNameTheirFieldsAsTheAuditLogDoes() {
    assertEquals("{name=\"warm-up\"}{data_sources=[{storage_url=\"file:///warm-up.rrd\"}] on_duplicate=IF_DUPLICATE_BEHAVIOR_ERROR}",
        ServerWarmup.auditSummaries());
  }

  @Test
  void theWarmUpGroupByCountsTheSamplesFiftyFramesWithoutLeaking() throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      assertEquals(50, ServerWarmup.sampleGroupBy(allocator), "frames 0..49 of rerun-sdk 0.41's fixture, one recording");
      assertEquals(0, allocator.getAllocatedMemory());
    }
  }

  @Test
  void theGroupByWarmUpRunsOnlyWhenTheCatalogHoldsRecordings(@TempDir Path tmp) throws Exception {
    try (RrdflightServer server = start(tmp.resolve("data"))) {
      assertFalse(ServerWarmup.holdsRecordings(server.catalog()), "a server that starts empty");
      server.catalog().createDataset("empty");
      assertFalse(ServerWarmup.holdsRecordings(server.catalog()), "a dataset without recordings");
      server.catalog().syncDirectory("versions", Fixtures.path("versions"), java.time.Duration.ofMinutes(1));
      assertTrue(ServerWarmup.holdsRecordings(server.catalog()), "after a registration, as on a restart");
    }
  }

  @Test
  void theWarmUpLeavesTheDataDirAndCatalogAsTheyWere(@TempDir Path tmp) throws Exception {
    try (RrdflightServer server = start(tmp.resolve("data"))) {
      Map<String, Long> before = files(tmp.resolve("data"));
      callFlight(server); // the SQL steps of an empty server's warm-up wait for the SQL door
      ServerWarmup.afterReady("127.0.0.1", true, server).join();
      assertEquals(before, files(tmp.resolve("data")), "file names and sizes under the data dir");
      assertTrue(server.catalog().datasets().isEmpty());
    }
  }

  @Test
  void theWarmUpTakesItsMemoryFromTheServersAllocatorAndGivesEveryBufferBack(@TempDir Path tmp) throws Exception {
    try (RrdflightServer server = start(tmp.resolve("data"))) {
      long peakBefore = server.allocator().getPeakMemoryAllocation();
      callFlight(server);
      ServerWarmup.afterReady("127.0.0.1", true, server).join();
      // Its IPC batches, sample index and query went through the server's allocator, within its limit...
      assertTrue(server.allocator().getPeakMemoryAllocation() > peakBefore, "peak " + server.allocator().getPeakMemoryAllocation());
      // ...and its child allocator is closed with nothing left.
      assertEquals(0, server.allocator().getAllocatedMemory());
      assertTrue(server.allocator().getChildAllocators().stream().noneMatch(c -> c.getName().contains("warmup")),
          server.allocator().toVerboseString());
    }
  }

  @Test
  void aServerClosedDuringItsWarmUpWaitsForItBeforeClosingItsMemory(@TempDir Path tmp) throws Exception {
    Thread warmUp;
    try (RrdflightServer server = start(tmp.resolve("data"))) {
      warmUp = ServerWarmup.afterReady("127.0.0.1", true, server);
    }
    // close() returned: the warm-up had ended (else the root allocator would have closed under it).
    assertFalse(warmUp.isAlive());
  }

  @Test
  void aWarmUpStartingAfterTheServerStoppedStillLearnsItsPort(@TempDir Path tmp) throws Exception {
    // A SIGTERM right after the ready line: the warm-up thread asked gRPC for the port and got "Already terminated".
    RrdflightServer server = start(tmp.resolve("data"));
    int port = server.port();
    server.close();
    assertEquals(port, server.port());
  }

  @Test
  void workBesideTheServerThatLeavesABufferIsReported(@TempDir Path tmp) throws Exception {
    PrintStream err = System.err;
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    System.setErr(new PrintStream(said, true, StandardCharsets.UTF_8));
    try (RrdflightServer server = start(tmp.resolve("data"))) {
      server.runBeside("leaky-warmup", 1 << 20, allocator -> allocator.buffer(1024)).join();
      assertEquals(1024, server.allocator().getAllocatedMemory(), "a leaked buffer stays counted in the server's memory");
    } finally {
      System.setErr(err);
    }
    String text = said.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("still allocated") && text.contains("leaky-warmup"), text);
  }

  @Test
  void theTrainingCallsRegisterAndReadAndSurviveAMissingDirectory(@TempDir Path tmp) throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (RrdflightServer server = start(tmp.resolve("data"))) {
      TrainingCalls.run(server.port(), List.of(Fixtures.path("versions"), tmp.resolve("no-such-fixtures")),
          new PrintStream(log, true, StandardCharsets.UTF_8));
      var dataset = server.catalog().datasetNamed("training-calls");
      assertEquals(3, server.catalog().partitions(dataset.id()).size(), log.toString(StandardCharsets.UTF_8));
    }
    String said = log.toString(StandardCharsets.UTF_8);
    assertTrue(said.contains("no-such-fixtures"), said);
    assertEquals(1, said.lines().count(), "only the missing directory is reported: " + said);
  }

  private static RrdflightServer start(Path dataDir) throws IOException {
    ServerCommand command = new ServerCommand();
    new CommandLine(command.spec()).parseArgs("--port", "0", "--data-dir", dataDir.toString(),
        "--allow-root", Fixtures.path("versions").toString());
    return RrdflightServer.start(command.config(), "test");
  }

  /** One Flight call (ListActions), as a SQL client's first: it opens the server's SQL door. */
  private static void callFlight(RrdflightServer server) throws Exception {
    try (BufferAllocator allocator = new RootAllocator();
        org.apache.arrow.flight.FlightClient flight = org.apache.arrow.flight.FlightClient.builder(allocator,
            org.apache.arrow.flight.Location.forGrpcInsecure("127.0.0.1", server.port())).build()) {
      flight.listActions().forEach(action -> { });
    }
  }

  /** The warm-up's work without its greetings, with the call count and quiet spell given. */
  private static ServerWarmup.Done warmUp(RrdflightServer server, BufferAllocator allocator, java.util.function.LongSupplier calls,
      java.util.function.BooleanSupplier quiet) {
    return ServerWarmup.firstCalls("127.0.0.1", server.port(), false, server.catalog(), !ServerWarmup.holdsRecordings(server.catalog()),
        allocator, calls, quiet);
  }

  private static List<Path> rehearsalDirs(Path tmp) throws IOException {
    try (Stream<Path> all = Files.list(tmp)) {
      return all.filter(p -> p.getFileName().toString().startsWith("rrdflight-warmup-")).sorted().toList();
    }
  }

  private static Map<String, Long> files(Path dir) throws IOException {
    Map<String, Long> sizes = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        sizes.put(dir.relativize(p).toString(), Files.isRegularFile(p) ? Files.size(p) : -1L);
      }
    }
    return sizes;
  }
}
