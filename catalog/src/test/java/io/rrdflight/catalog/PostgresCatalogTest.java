package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.PostgresCluster.Database;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every {@link CatalogTest} again, with the catalog in a real PostgreSQL database (a new one per
 * test, see {@link PostgresCluster}); plus what only the PostgreSQL store has: its writer lock and
 * its credentials.
 */
@ExtendWith(PostgresCluster.class)
class PostgresCatalogTest extends CatalogTest {
  private Database database;

  @BeforeEach
  void database(Database database) {
    this.database = database;
  }

  private CatalogLocation.Postgres location() {
    return new CatalogLocation.Postgres(database.url());
  }

  @Override
  Catalog open(RecordingIndexer indexer, int threads) {
    return Catalog.open(location(), indexer, threads, RegistrationLimits.UNRESTRICTED, io.rrdflight.rrd.RecordingSources.localOnly(),
        dataDir.resolve("tables"));
  }

  @Override
  CatalogStore openStore() {
    return PostgresCatalogStore.open(location());
  }

  @Test
  void aSecondServerOnTheSameCatalogFailsNamingTheHolder() {
    try (Catalog first = open(new FileListIndexer(), 1)) {
      CatalogException e = assertThrows(CatalogException.class, () -> open(new FileListIndexer(), 1));
      assertEquals(CatalogException.Kind.FAILED, e.kind());
      assertTrue(e.getMessage().contains("in use by another rrdflight server")
          && e.getMessage().contains("rrdflight pid " + ProcessHandle.current().pid()), e.getMessage());
      assertFalse(e.getMessage().contains(database.parameter("password")), "no password in messages: " + e.getMessage());
      first.createDataset("still-works");
    }
    // The lock goes with the session: the next open succeeds and sees what the first one wrote.
    try (Catalog again = open(new FileListIndexer(), 1)) {
      assertEquals("still-works", again.datasets().get(0).name());
    }
  }

  @Test
  void credentialsComeFromTheEnvironmentWhenTheUrlHasNone() {
    String user = database.parameter("user");
    String password = database.parameter("password");
    CatalogLocation.Postgres bare = new CatalogLocation.Postgres(database.urlWithoutCredentials());
    Map<String, String> env = Map.of("PGUSER", user, "PGPASSWORD", password);
    try (PostgresCatalogStore store = PostgresCatalogStore.open(bare, env::get)) {
      assertEquals(0, store.datasets().size());
    }
    Map<String, String> wrong = Map.of("PGUSER", user, "PGPASSWORD", "not-" + password);
    CatalogException e = assertThrows(CatalogException.class, () -> PostgresCatalogStore.open(bare, wrong::get));
    assertTrue(e.getMessage().contains("Cannot open catalog") && e.getMessage().contains(database.name()), e.getMessage());
    assertFalse(e.getMessage().contains(password), e.getMessage());
  }

  @Test
  void theLocationNeverShowsAPassword() {
    CatalogLocation.Postgres location = location();
    assertFalse(location.toString().contains(database.parameter("password")), location.toString());
    assertTrue(location.toString().contains("password=***"), location.toString());
    assertEquals("jdbc:postgresql://u:***@db/x", new CatalogLocation.Postgres("jdbc:postgresql://u:secret@db/x").toString());
    CatalogException notPostgres = assertThrows(CatalogException.class, () -> CatalogLocation.parse("jdbc:mysql://db/x?password=secret"));
    assertEquals(CatalogException.Kind.INVALID_ARGUMENT, notPostgres.kind());
    assertFalse(notPostgres.getMessage().contains("secret"), notPostgres.getMessage());
  }
}
