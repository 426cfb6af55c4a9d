package io.rrdflight.server.flightsql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.catalog.RrdRecordingIndexer;
import io.rrdflight.sql.PreparedQuery;
import io.rrdflight.sql.SqlEngine;
import io.rrdflight.sql.engine.CatalogRerunData;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Prepared-statement handles: capped in number, and gone once unused for the idle time. */
@ExtendWith(NoLeaks.class)
class PreparedStatementsTest {
  @TempDir Path dataDir;
  BufferAllocator allocator;
  Catalog catalog;
  SqlEngine engine;
  PreparedQuery query;

  @BeforeEach
  void setUp(BufferAllocator allocator) {
    this.allocator = allocator;
    catalog = Catalog.open(dataDir, new RrdRecordingIndexer(allocator), 1);
    engine = new SqlEngine(new CatalogRerunData(catalog), allocator);
    query = engine.prepare("SELECT 1");
  }

  @AfterEach
  void tearDown() {
    engine.close();
    catalog.close();
  }

  @Test
  void aCancelledTicketNobodyFetchesExpiresAndFreesItsPlace() throws InterruptedException {
    Executions executions = new Executions(1, Duration.ofMillis(50));
    executions.cancel(executions.add(query, java.util.List.of()));
    Thread.sleep(100);
    executions.add(query, java.util.List.of()); // the cancelled one, unclaimed, made room (it kept its place for good)
  }

  @Test
  void aBoundNullIsAParameterValue() {
    Executions executions = new Executions(10);
    ByteString handle = executions.add(engine.prepare("SELECT CAST(? AS BIGINT) AS v"), java.util.Arrays.asList((Object) null));
    assertEquals(java.util.Arrays.asList((Object) null), executions.get(handle).parameters);
  }

  @Test
  void handlesBeyondTheCapAreRefused() {
    PreparedStatements statements = new PreparedStatements(2, Duration.ofHours(1));
    ByteString first = statements.add(query);
    statements.add(query);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> statements.add(query));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    statements.close(first);
    statements.add(query); // closing one makes room
  }

  @Test
  void anUnusedHandleExpires() {
    PreparedStatements statements = new PreparedStatements(10, Duration.ZERO);
    ByteString old = statements.add(query);
    statements.add(query); // every handle older than the idle time (none) goes
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> statements.get(old));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals(1, statements.size());
  }

  @Test
  void aHandleInUseStays() {
    PreparedStatements statements = new PreparedStatements(10, Duration.ofHours(1));
    ByteString handle = statements.add(query);
    statements.add(query);
    assertSame(query, statements.get(handle).query);
  }
}
