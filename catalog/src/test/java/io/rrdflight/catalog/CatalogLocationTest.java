package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --catalog} values: what is refused before any connection, never showing a password. */
class CatalogLocationTest {
  @Test
  void aMalformedUrlIsRefusedBeforeTheDriverQuotesItsPassword() {
    Map<String, String> why = Map.of(
        "jdbc:postgresql://db:notaport/x?password=secret", "'db:notaport' is not a HOST or HOST:PORT",
        "jdbc:postgresql://db:70000/x?password=secret", "port 70000 is not between 1 and 65535",
        "jdbc:postgresql://[bad/x?password=secret", "'[bad' is not a HOST or HOST:PORT",
        "jdbc:postgresql://db?password=secret", "the database is missing (add /DATABASE after the host)",
        "jdbc:postgresql://db/x?password=%zz-secret", "the PostgreSQL driver cannot parse it",
        // The driver would take "u:secret@db" for the host name (and ask DNS for it).
        "jdbc:postgresql://u:secret@db/x", "not before the host");
    why.forEach((url, reason) -> {
      CatalogException e = assertThrows(CatalogException.class, () -> CatalogLocation.parse(url), url);
      assertEquals(CatalogException.Kind.INVALID_ARGUMENT, e.kind());
      assertTrue(e.getMessage().endsWith(reason), e.getMessage());
      assertFalse(e.getMessage().contains("secret"), e.getMessage());
    });
  }

  @Test
  void theUrlsTheDriverTakesAreKept() {
    for (String good : new String[] {"jdbc:postgresql://db/x", "jdbc:postgresql://db:5433,[::1]:5432/x?user=u&password=p",
        "jdbc:postgresql:x", "jdbc:postgresql://db/"}) {
      assertEquals(good, ((CatalogLocation.Postgres) CatalogLocation.parse(good)).jdbcUrl());
    }
  }
}
