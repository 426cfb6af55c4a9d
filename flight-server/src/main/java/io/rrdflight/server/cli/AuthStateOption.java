package io.rrdflight.server.cli;

import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.CatalogLocation;
import io.rrdflight.server.auth.AuthStore;
import io.rrdflight.server.auth.Authenticator;
import java.io.IOException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Whose tokens and users {@code rrdflight token} and {@code rrdflight user} work on: a data dir's, or a
 * fleet's (the PostgreSQL catalog its servers share), chosen as the server chooses ({@link AuthStore#at}).
 */
final class AuthStateOption {
  @Mixin DataDirOption dataDir = new DataDirOption();

  @Option(names = "--catalog", paramLabel = "JDBC_URL",
      description = "The tokens and users of the fleet on this PostgreSQL catalog (the servers' --catalog value; user and"
          + " password as URL parameters or PGUSER/PGPASSWORD) instead of those of the data dir.")
  String catalogUrl;

  /** The authenticator of the chosen state (creating its key and tables on first use). */
  Authenticator authenticator() {
    CatalogLocation catalog;
    try {
      catalog = catalogUrl == null ? new CatalogLocation.Embedded(dataDir.resolve()) : CatalogLocation.parse(catalogUrl);
    } catch (CatalogException e) {
      throw new UserError("--catalog: " + e.getMessage(), 2);
    }
    String where = catalog instanceof CatalogLocation.Postgres ? "catalog " + catalog : dataDir.resolve().toString();
    try {
      return Authenticator.open(AuthStore.at(catalog, dataDir.resolve()));
    } catch (IOException e) {
      throw new UserError("cannot use the tokens of " + where + ": " + e.getMessage(), 1, e);
    }
  }
}
