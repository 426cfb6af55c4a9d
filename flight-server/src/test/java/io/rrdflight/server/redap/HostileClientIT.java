package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.rrdflight.rrd.proto.TaskId;
import io.rrdflight.server.Fixtures;
import io.rrdflight.server.ServerProcess;
import io.rrdflight.server.redap.proto.CreateDatasetEntryRequest;
import io.rrdflight.server.redap.proto.DataSource;
import io.rrdflight.server.redap.proto.DataSourceKind;
import io.rrdflight.server.redap.proto.QueryTasksOnCompletionRequest;
import io.rrdflight.server.redap.proto.QueryTasksOnCompletionResponse;
import io.rrdflight.server.redap.proto.RegisterWithDatasetRequest;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;
import io.rrdflight.server.redap.proto.VersionRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.CancelFlightInfoRequest;
import org.apache.arrow.flight.CancelStatus;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attacks of issue 10, each against the real server process on loopback, as a hostile client
 * would make them: for each, the expected refusal (with its status code), then proof that the
 * server still answers. The server runs with a small heap and tight limits, so that a limit that
 * does not hold shows as a failure here rather than as a slow test.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class HostileClientIT {
  /** A recursive query that never produces a row: only a deadline or a cancel ends it. */
  static final String ENDLESS = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT COUNT(*) FROM t";
  static final String SMALL = "SELECT COUNT(*) FROM \"dataset\".rerun.partitions";
  static final Metadata.Key<String> ENTRY_ID = Metadata.Key.of("x-rerun-entry-id", Metadata.ASCII_STRING_MARSHALLER);
  /** The server's heap; its RSS must stay well within twice that whatever clients send. */
  static final long HEAP_MB = 512;
  static final int MAX_CONNECTIONS = 64;

  @TempDir static Path dataDir;
  @TempDir static Path root;
  static ServerProcess server;
  static ServerClients clients;
  static ManagedChannel channel;
  static BufferAllocator allocator;
  static FlightSqlClient sql;

  @BeforeAll
  static void start() throws Exception {
    mkfifo(root.resolve("x.rrd"));
    Files.createDirectories(root.resolve("tree/sub"));
    Files.copy(Fixtures.path("single/points3d.rrd"), root.resolve("tree/sub/points3d.rrd"));
    mkfifo(root.resolve("tree/fifo.rrd"));
    server = ServerProcess.start(List.of("-Xmx" + HEAP_MB + "m"), dataDir,
        "-d", "dataset=" + Fixtures.path("dataset"),
        "--allow-root", root.toString(), "--allow-root", Fixtures.path("many").toString(),
        "--query-timeout", "15", "--query-memory", "16m", "--max-queries", "1", "--max-queued-queries", "4",
        "--max-sql-length", "10000", "--max-prefix-files", "200", "--max-connections", "" + MAX_CONNECTIONS,
        "--first-bytes-timeout", "2");
    clients = new ServerClients(ServerClients.asRerun027(server.port()).maxInboundMessageSize(64 << 20).build(), server.port());
    channel = clients.channel;
    allocator = clients.allocator;
    sql = clients.sql;
    // The first queries of a fresh JVM compile the planner and the row engine: not what the
    // deadline is for.
    longs(SMALL);
    longs("SELECT COUNT(*) FROM (SELECT rerun_partition_id FROM \"dataset\".rerun.log_time ORDER BY 1)");
  }

  @AfterAll
  static void stop() throws Exception {
    if (clients != null) {
      clients.close();
    }
    if (server != null) {
      server.close();
    }
  }

  // --- helpers -------------------------------------------------------------------------------------

  static void mkfifo(Path path) throws Exception {
    Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed");
  }

  static RerunCloudServiceGrpc.RerunCloudServiceBlockingStub rerun() {
    return RerunCloudServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  static RerunCloudServiceGrpc.RerunCloudServiceBlockingStub dataset(String name) {
    var entry = rerun().createDatasetEntry(CreateDatasetEntryRequest.newBuilder().setName(name).build()).getDataset();
    Metadata headers = new Metadata();
    headers.put(ENTRY_ID, ProtoValues.fromProto(entry.getDetails().getId()).toHex());
    return rerun().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  static RegisterWithDatasetRequest register(String url, boolean prefix) {
    return RegisterWithDatasetRequest.newBuilder()
        .addDataSources(DataSource.newBuilder().setStorageUrl(url).setPrefix(prefix).setTyp(DataSourceKind.DATA_SOURCE_KIND_RRD))
        .build();
  }

  static StatusRuntimeException refused(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run);
  }

  /** The server is alive and answering on both doors. */
  static void assertServerAnswers() throws Exception {
    assertTrue(rerun().version(VersionRequest.getDefaultInstance()).hasBuildInfo());
    assertEquals(List.of(12L), longs(SMALL));
  }

  static List<Long> longs(String query) throws Exception {
    FlightInfo info = sql.execute(query);
    List<Long> out = new ArrayList<>();
    try (FlightStream stream = sql.getStream(info.getEndpoints().get(0).getTicket())) {
      while (stream.next()) {
        for (int i = 0; i < stream.getRoot().getRowCount(); i++) {
          out.add(((Number) stream.getRoot().getVector(0).getObject(i)).longValue());
        }
      }
    }
    return out;
  }

  static FlightStatusCode queryFailure(String query) {
    return assertThrows(FlightRuntimeException.class, () -> longs(query)).status().code();
  }

  static String taskOf(RegisterWithDatasetRequest request, RerunCloudServiceGrpc.RerunCloudServiceBlockingStub stub) {
    var table = RowCount.table(stub.registerWithDataset(request).getData(), allocator);
    return table.get("rerun_task_id").get(0);
  }

  static Map<String, String> finished(String taskId) {
    var it = rerun().queryTasksOnCompletion(QueryTasksOnCompletionRequest.newBuilder().addIds(TaskId.newBuilder().setId(taskId))
        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(60)).build());
    QueryTasksOnCompletionResponse r = it.next();
    var table = RowCount.table(r.getData(), allocator);
    return Map.of("exec_status", table.get("exec_status").get(0), "msgs", String.valueOf(table.get("msgs").get(0)));
  }

  static long rssMegabytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + server.process().pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    throw new IllegalStateException("no VmRSS");
  }

  // --- registration --------------------------------------------------------------------------------

  @Test
  void registeringFilesOutsideTheAllowedRootsIsPermissionDeniedAlikeAndEchoesNothing() throws Exception {
    var stub = dataset("outside");
    List<String> answers = new ArrayList<>();
    for (String path : List.of("/etc/shadow", "/etc/passwd", "/etc/no-such-file.rrd", "/proc/self/environ")) {
      StatusRuntimeException e = refused(() -> stub.registerWithDataset(register("file://" + path, false)));
      assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), path);
      answers.add(e.getStatus().getDescription().replace(path, "PATH"));
    }
    assertEquals(1, answers.stream().distinct().count(), "missing, unreadable and readable files look the same: " + answers);
    String passwdLine = Files.readAllLines(Path.of("/etc/passwd")).get(0);
    assertFalse(answers.get(1).contains(passwdLine.substring(0, passwdLine.indexOf(':', passwdLine.indexOf(':') + 1) + 1)), answers.get(1));
    assertServerAnswers();
  }

  @Test
  void aFifoIsRefusedWithoutBlockingAThread() throws Exception {
    var stub = dataset("fifo");
    for (int i = 0; i < 20; i++) { // were each to block a thread, the server would run out of them
      StatusRuntimeException e = refused(() -> stub.registerWithDataset(register(root.resolve("x.rrd").toUri().toString(), false)));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("not a regular file"), e.getStatus().getDescription());
    }
    // A prefix holding a FIFO registers its real recordings and skips the FIFO.
    Map<String, String> task = finished(taskOf(register(root.resolve("tree").toUri().toString(), true), stub));
    assertEquals("success", task.get("exec_status"), task.toString());
    assertServerAnswers();
  }

  @Test
  void prefixesOfTheWholeFileSystemAreRefusedAtOnce() throws Exception {
    var stub = dataset("everything");
    for (String prefix : List.of("file:///usr", "file:///", "file:///etc")) {
      StatusRuntimeException e = refused(() -> stub.registerWithDataset(register(prefix, true)));
      assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), prefix);
      assertFalse(e.getStatus().getDescription().contains("Exception"), e.getStatus().getDescription());
    }
    assertServerAnswers();
  }

  @Test
  void aPrefixBeyondTheFileCapFailsItsTaskInTheBackground() throws Exception {
    var stub = dataset("huge");
    // fixtures/many holds 1,000 recordings; the server walks at most 200 entries.
    String task = taskOf(register(Fixtures.path("many").toUri().toString(), true), stub);
    Map<String, String> done = finished(task);
    assertEquals("failed", done.get("exec_status"));
    assertTrue(done.get("msgs").contains("more than 200") && done.get("msgs").contains("--max-prefix-files"), done.toString());
    assertServerAnswers();
  }

  // --- queries -------------------------------------------------------------------------------------

  @Test
  void anEndlessQueryStopsAtItsDeadlineAndFreesItsSlot() throws Exception {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> longs(ENDLESS));
    assertEquals(FlightStatusCode.TIMED_OUT, e.status().code(), e.toString());
    assertTrue(e.getMessage().contains("--query-timeout"), e.getMessage());
    // The server runs one query at a time (--max-queries 1): this one runs only if that slot is free.
    assertServerAnswers();
  }

  @Test
  void cancellingAnEndlessQueryStopsItsWorkAndFreesItsSlot() throws Exception {
    FlightInfo info = sql.execute(ENDLESS);
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<FlightStatusCode> running = reader.submit(() -> {
        try (FlightStream stream = sql.getStream(info.getEndpoints().get(0).getTicket())) {
          while (stream.next()) {
            // no rows ever come
          }
          return FlightStatusCode.OK;
        } catch (FlightRuntimeException ex) {
          return ex.status().code();
        }
      });
      Thread.sleep(300); // most likely mid-recursion by now; the outcome is the same either way
      assertEquals(CancelStatus.CANCELLED, sql.cancelFlightInfo(new CancelFlightInfoRequest(info)).getStatus());
      assertEquals(FlightStatusCode.CANCELLED, running.get(60, TimeUnit.SECONDS));
    } finally {
      reader.shutdownNow();
    }
    assertServerAnswers(); // only possible once the cancelled query gave its one slot back
  }

  @Test
  void fiftyConcurrentQueriesEachRunOrAreTurnedAwayAndTheCatalogHolds() throws Exception {
    String query = "SELECT rerun_partition_id, COUNT(*) FROM \"dataset\".rerun.log_time GROUP BY rerun_partition_id";
    ExecutorService clients = Executors.newFixedThreadPool(50);
    Map<FlightStatusCode, Integer> outcomes = new ConcurrentHashMap<>();
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        all.add(clients.submit(() -> {
          FlightStatusCode code;
          try {
            longsOrRows(query);
            code = FlightStatusCode.OK;
          } catch (FlightRuntimeException e) {
            code = e.status().code();
          }
          outcomes.merge(code, 1, Integer::sum);
          return null;
        }));
        // The Rerun door reads the same catalog at the same time.
        all.add(clients.submit(() -> dataset("concurrent-" + java.util.UUID.randomUUID()).getDatasetSchema(
            io.rrdflight.server.redap.proto.GetDatasetSchemaRequest.getDefaultInstance())));
      }
      for (Future<?> f : all) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      clients.shutdownNow();
    }
    assertTrue(outcomes.getOrDefault(FlightStatusCode.OK, 0) >= 1, outcomes.toString());
    assertTrue(outcomes.getOrDefault(FlightStatusCode.RESOURCE_EXHAUSTED, 0) >= 1, "one runs, four wait, the rest are turned away: "
        + outcomes);
    java.util.Set<FlightStatusCode> others = new java.util.HashSet<>(outcomes.keySet());
    others.removeAll(List.of(FlightStatusCode.OK, FlightStatusCode.RESOURCE_EXHAUSTED));
    assertEquals(java.util.Set.of(), others, "no other outcome (e.g. a SQLite error as INVALID_ARGUMENT): " + outcomes);
    assertServerAnswers();
  }

  static void longsOrRows(String query) throws Exception {
    FlightInfo info = sql.execute(query);
    try (FlightStream stream = sql.getStream(info.getEndpoints().get(0).getTicket())) {
      while (stream.next()) {
        // read everything
      }
    }
  }

  @Test
  void aQueryOverItsMemoryBudgetFailsAloneAndTheServerCarriesOn() throws Exception {
    // A sort over a self-join keeps every joined row: far more than the 16 MiB budget.
    String sort = "SELECT a.log_time, b.log_time FROM \"dataset\".rerun.log_time a, \"dataset\".rerun.log_time b "
        + "ORDER BY a.log_time DESC, b.log_time";
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> longsOrRows(sort));
    assertEquals(FlightStatusCode.RESOURCE_EXHAUSTED, e.status().code(), e.toString());
    assertTrue(e.getMessage().contains("--query-memory"), e.getMessage());
    assertServerAnswers();
  }

  @Test
  void anInsertsQueryKeepsToTheMemoryBudgetOfAnyQuery() throws Exception {
    // INSERT INTO … SELECT ran on the server's own allocator, without a slot, budget or deadline.
    String sort = "INSERT INTO sorted_pairs SELECT a.log_time AS a, b.log_time AS b FROM \"dataset\".rerun.log_time a, "
        + "\"dataset\".rerun.log_time b ORDER BY a.log_time DESC, b.log_time";
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> sql.executeUpdate(sort));
    assertEquals(FlightStatusCode.RESOURCE_EXHAUSTED, e.status().code(), e.toString());
    assertTrue(e.getMessage().contains("--query-memory"), e.getMessage());
    assertServerAnswers();
  }

  @Test
  void anOverlongSqlTextIsRefused() throws Exception {
    String huge = "SELECT 1 " + "-- padding\n".repeat(2_000);
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> sql.execute(huge));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
    assertTrue(e.getMessage().contains("--max-sql-length"), e.getMessage());
    assertServerAnswers();
  }

  // --- transport -----------------------------------------------------------------------------------

  @Test
  void threeHugeRegisterMessagesAreRefusedAndMemoryStaysBounded() throws Exception {
    var stub = dataset("huge-messages");
    // Three at once of 150 MB: together almost their own heap for the server, were it to take them
    // (the 500 MB each do not fit the client's direct memory in this test JVM).
    byte[] url = new byte[150 << 20];
    Arrays.fill(url, (byte) 'a');
    RegisterWithDatasetRequest huge = RegisterWithDatasetRequest.newBuilder()
        .addDataSources(DataSource.newBuilder().setStorageUrlBytes(UnsafeByteOperations.unsafeWrap(url))).build();
    ExecutorService senders = Executors.newFixedThreadPool(3);
    try {
      List<Future<StatusRuntimeException>> sent = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        sent.add(senders.submit(() -> refused(() -> stub.registerWithDataset(huge))));
      }
      for (Future<StatusRuntimeException> f : sent) {
        StatusRuntimeException e = f.get(120, TimeUnit.SECONDS);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());
        assertTrue(e.getStatus().getDescription().contains("exceeds maximum size 67108864"), e.getStatus().getDescription());
      }
    } finally {
      senders.shutdownNow();
    }
    assertServerAnswers();
    long rss = rssMegabytes();
    assertTrue(rss < 2 * HEAP_MB, "server RSS " + rss + " MB after 450 MB of refused messages");
  }

  @Test
  void oversizedHeadersAreRefused() throws Exception {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-padding", Metadata.ASCII_STRING_MARSHALLER), "p".repeat(64 << 10));
    StatusRuntimeException e = refused(() -> rerun().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .version(VersionRequest.getDefaultInstance()));
    assertNotEquals(Status.Code.OK, e.getStatus().getCode());
    assertServerAnswers();
  }

  @Test
  void silentConnectionsAreClosedAndTheConnectionCapHolds() throws Exception {
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 3 * MAX_CONNECTIONS; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
        s.setSoTimeout(30_000);
        sockets.add(s);
      }
      // Each one is closed by the server: those beyond the cap at once, the rest once the
      // first-bytes timeout (2 s) passes without a byte from them.
      for (Socket s : sockets) {
        InputStream in = s.getInputStream();
        try {
          assertEquals(-1, in.read(), "the server sent bytes to a silent client");
        } catch (java.net.SocketException reset) {
          // closed with a reset: closed all the same
        } catch (SocketTimeoutException stillOpen) {
          throw new AssertionError("a silent connection stayed open for 30 s", stillOpen);
        }
      }
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
    assertServerAnswers();
  }

  @Test
  void malformedRequestsAreInvalidArgumentWithOneLogLineEach() throws Exception {
    int before = server.output().split("\n").length;
    // A Flight SQL command that is not a protobuf Any, a ticket that is garbage, an entry id header
    // that is not an id, and a Rerun request whose bytes do not parse.
    FlightClient flight = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port())).build();
    try {
      byte[] garbage = "\u0008\u00ff\u00ff\u00ff garbage".getBytes(StandardCharsets.ISO_8859_1);
      assertEquals(FlightStatusCode.INVALID_ARGUMENT,
          assertThrows(FlightRuntimeException.class, () -> flight.getInfo(FlightDescriptor.command(garbage))).status().code());
      FlightRuntimeException ticket = assertThrows(FlightRuntimeException.class, () -> {
        try (FlightStream s = flight.getStream(new Ticket(garbage))) {
          s.next();
        }
      });
      assertEquals(FlightStatusCode.INVALID_ARGUMENT, ticket.status().code(), ticket.toString());
    } finally {
      flight.close();
    }
    Metadata badId = new Metadata();
    badId.put(ENTRY_ID, "not-an-id");
    assertEquals(Status.Code.INVALID_ARGUMENT, refused(() -> rerun().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(badId))
        .getDatasetSchema(io.rrdflight.server.redap.proto.GetDatasetSchemaRequest.getDefaultInstance())).getStatus().getCode());
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(RerunCloudServiceGrpc.getRegisterWithDatasetMethod().getFullMethodName())
        .setRequestMarshaller(new RawBytes()).setResponseMarshaller(new RawBytes()).build();
    Status.Code rawCode = refused(() -> ClientCalls.blockingUnaryCall(channel, raw, CallOptions.DEFAULT, new byte[] {(byte) 0x0a, (byte) 0xff}))
        .getStatus().getCode();
    assertEquals(Status.Code.INVALID_ARGUMENT, rawCode);
    assertServerAnswers();
    List<String> logged = Arrays.asList(server.output().split("\n")).subList(before, server.output().split("\n").length);
    assertTrue(logged.stream().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception in")), String.join("\n", logged));
    assertTrue(logged.size() <= 4, "at most a line per malformed request:\n" + String.join("\n", logged));
  }

  /** Bytes as they are on the wire, for sending what no stub would. */
  static final class RawBytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  // --- the data dir ----------------------------------------------------------------------------------

  @Test
  void aSecondServerOnTheSameDataDirExitsWithOneLineNamingTheHolder() throws Exception {
    Process second = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "-jar", ServerProcess.jar().toString(), "server", "--port", "0",
        "--data-dir", dataDir.toString()).redirectErrorStream(false).start();
    assertTrue(second.waitFor(60, TimeUnit.SECONDS), "the second server did not exit");
    String err = new String(second.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(1, second.exitValue(), err);
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.contains("pid " + server.process().pid()), err);
    assertServerAnswers();
  }
}
