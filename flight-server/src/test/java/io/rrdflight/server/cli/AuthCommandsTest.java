package io.rrdflight.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rrdflight token}, {@code rrdflight user} and the server's security options, run in-process. */
class AuthCommandsTest {
  @TempDir Path dataDir;

  @Test
  void tokenCreatePrintsTheTokenAsItsLastLineAndListNeverShowsIt() {
    CliRun created = CliRun.of("token", "create", "--role", "reader", "--name", "dashboards", "--data-dir", dataDir.toString());
    assertEquals(0, created.exitCode(), created.err());
    String token = lastLine(created.out());
    assertTrue(token.matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"), token);
    assertTrue(created.err().contains("'dashboards' (reader)"), created.err());

    CliRun list = CliRun.of("token", "list", "--data-dir", dataDir.toString());
    assertEquals(0, list.exitCode());
    assertTrue(list.out().contains("dashboards\treader"), list.out());
    assertFalse(list.out().contains(token), "token list printed a token");
  }

  @Test
  void aFleetsCatalogThatCannotBeReachedIsOneLineWithoutItsPassword() {
    CliRun notPostgres = CliRun.of("token", "list", "--catalog", "mysql://db/x");
    assertEquals(2, notPostgres.exitCode());
    assertTrue(notPostgres.err().contains("--catalog: A PostgreSQL catalog is given as jdbc:postgresql://"), notPostgres.err());
    CliRun unreachable = CliRun.of("token", "create", "--role", "reader", "--catalog", "jdbc:postgresql://127.0.0.1:1/x?user=u&password=s3cret");
    assertEquals(1, unreachable.exitCode());
    assertTrue(unreachable.err().contains("cannot use the tokens of catalog jdbc:postgresql://127.0.0.1:1/x?user=u&password=***"),
        unreachable.err());
    assertFalse(unreachable.err().contains("s3cret"), unreachable.err());
  }

  @Test
  void tokenCreateAndUserAddOnAFleetsCatalogRefuseBadUrlsInOneLineWithoutThePassword() {
    String malformed = "jdbc:postgresql://db:notaport/x?user=u&password=s3cret";
    String unreachable = "jdbc:postgresql://127.0.0.1:1/x?user=u&password=s3cret";
    for (String url : new String[] {malformed, unreachable}) {
      for (CliRun run : new CliRun[] {CliRun.of("token", "create", "--role", "reader", "--catalog", url),
          CliRun.withStdin("pa55 word\n", "user", "add", "alice", "--role", "reader", "--catalog", url)}) {
        String all = run.out() + run.err();
        assertFalse(all.contains("s3cret"), all);
        assertEquals(1, run.err().strip().lines().count(), run.err());
        if (url.equals(malformed)) {
          assertEquals(2, run.exitCode(), run.err());
          assertTrue(run.err().contains("--catalog: A PostgreSQL catalog is given as jdbc:postgresql://HOST[:PORT]/DATABASE, not "
              + "jdbc:postgresql://db:notaport/x?user=u&password=***: 'db:notaport' is not a HOST or HOST:PORT"), run.err());
        } else {
          assertEquals(1, run.exitCode(), run.err());
          assertTrue(run.err().contains("of catalog jdbc:postgresql://127.0.0.1:1/x?user=u&password=***: "), run.err());
        }
      }
    }
  }

  @Test
  void tokenCreateNeedsAKnownRole() {
    CliRun r = CliRun.of("token", "create", "--role", "superuser", "--data-dir", dataDir.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("unknown role 'superuser'"), r.err());
  }

  @Test
  void tokenCreateUnderstandsNeverAndRefusesNonsenseDurations() {
    assertEquals(0, CliRun.of("token", "create", "--role", "admin", "--expires", "never", "--data-dir", dataDir.toString()).exitCode());
    CliRun bad = CliRun.of("token", "create", "--role", "admin", "--expires", "soon", "--data-dir", dataDir.toString());
    assertEquals(2, bad.exitCode());
    assertTrue(bad.err().contains("'soon' is not a duration"), bad.err());
  }

  @Test
  void revokeMarksTheTokenAndAnUnknownNameIsAnError() {
    CliRun.of("token", "create", "--role", "writer", "--name", "ci", "--data-dir", dataDir.toString());
    CliRun revoked = CliRun.of("token", "revoke", "ci", "--data-dir", dataDir.toString());
    assertEquals(0, revoked.exitCode(), revoked.err());
    assertTrue(CliRun.of("token", "list", "--data-dir", dataDir.toString()).out().contains("revoked"));
    CliRun again = CliRun.of("token", "revoke", "ci", "--data-dir", dataDir.toString());
    assertEquals(1, again.exitCode());
    assertTrue(again.err().contains("no token named 'ci'"), again.err());
  }

  @Test
  void userAddReadsThePasswordFromStdinAndNeverPrintsIt() {
    CliRun added = CliRun.withStdin("pa55 word\n", "user", "add", "alice", "--role", "writer", "--data-dir", dataDir.toString());
    assertEquals(0, added.exitCode(), added.err());
    CliRun list = CliRun.of("user", "list", "--data-dir", dataDir.toString());
    assertTrue(list.out().contains("alice\twriter"), list.out());
    assertFalse((added.out() + added.err() + list.out()).contains("pa55"));
    CliRun twice = CliRun.withStdin("x\n", "user", "add", "alice", "--role", "reader", "--data-dir", dataDir.toString());
    assertEquals(1, twice.exitCode());
    assertTrue(twice.err().contains("exists already"), twice.err());
  }

  @Test
  void userAddWithoutPasswordIsAnError() {
    CliRun r = CliRun.withStdin("", "user", "add", "bob", "--role", "reader", "--password-stdin", "--data-dir", dataDir.toString());
    assertEquals(1, r.exitCode());
    assertTrue(r.err().contains("no password"), r.err());
  }

  @Test
  void serverOnANetworkAddressWithoutAuthRefusesInOneLineWithExitCode2() {
    CliRun r = CliRun.of("server", "--host", "0.0.0.0", "--data-dir", dataDir.toString());
    assertEquals(2, r.exitCode());
    List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), r.err());
    assertTrue(lines.get(0).contains("without --auth") && lines.get(0).contains("--insecure-no-auth"), lines.get(0));
  }

  @Test
  void contradictoryOrIncompleteSecurityOptionsAreUsageErrors() {
    CliRun both = CliRun.of("server", "--auth", "--insecure-no-auth", "--data-dir", dataDir.toString());
    assertEquals(2, both.exitCode());
    assertTrue(both.err().contains("contradict"), both.err());
    CliRun certOnly = CliRun.of("server", "--tls-cert", "cert.pem", "--data-dir", dataDir.toString());
    assertEquals(2, certOnly.exitCode());
    assertTrue(certOnly.err().contains("--tls-cert and --tls-key go together"), certOnly.err());
  }

  @Test
  void loopbackNamesAreLoopbackAndOthersAreNot() {
    assertTrue(ServerCommand.isLoopback("127.0.0.1"));
    assertTrue(ServerCommand.isLoopback("localhost"));
    assertTrue(ServerCommand.isLoopback("::1"));
    assertFalse(ServerCommand.isLoopback("0.0.0.0"));
    assertFalse(ServerCommand.isLoopback("::"));
  }

  private static String lastLine(String out) {
    List<String> lines = out.lines().toList();
    return lines.get(lines.size() - 1);
  }
}
