package io.rrdflight.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's help, version and argument errors, run in-process through the same entry point. */
class CliArgumentsTest {

  @Test
  void helpListsSubcommandsAndExamples() {
    CliRun r = CliRun.of("--help");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().contains("server"), r.out());
    assertTrue(r.out().contains("inspect"), r.out());
    assertTrue(r.out().contains("Examples:"), r.out());
  }

  @Test
  void helpListsEverySubcommandUnderItsOwnNameAndHelpOfOneWorksThroughHelp() {
    CliRun r = CliRun.of("--help");
    for (var sub : RrdflightCommand.SUBCOMMANDS.entrySet()) {
      assertEquals(sub.getKey(), new picocli.CommandLine(sub.getValue().get()).getCommandName());
      assertTrue(r.out().contains("  " + sub.getKey() + " "), "missing " + sub.getKey() + " in:\n" + r.out());
    }
    CliRun server = CliRun.of("help", "server");
    assertEquals(0, server.exitCode(), server.err());
    assertTrue(server.out().contains("--max-queries"), server.out());
  }

  @Test
  void anUnknownSubcommandIsAUsageErrorThatSuggestsTheNearestOne() {
    CliRun r = CliRun.of("serve", "-d", "x");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("server"), r.err());
  }

  @Test
  void serverHelpShowsOptionsDefaultsAndExamples() {
    CliRun r = CliRun.of("server", "--help");
    assertEquals(0, r.exitCode());
    for (String expected : new String[] {"--dataset", "--host", "--port", "--data-dir", "127.0.0.1", "51234", "Examples:", "rerun+http://"}) {
      assertTrue(r.out().contains(expected), "missing " + expected + " in:\n" + r.out());
    }
  }

  @Test
  void versionNamesTheProduct() {
    CliRun r = CliRun.of("--version");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().startsWith("rrdflight "), r.out());
  }

  @Test
  void serverVersionNamesTheProductToo() {
    CliRun r = CliRun.of("server", "--version");
    assertEquals(0, r.exitCode());
    assertEquals(CliRun.of("--version").out(), r.out());
  }

  @Test
  void portOutOfRangeIsUsageErrorWithExitCode2() {
    CliRun r = CliRun.of("server", "--port", "99999");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("Invalid port 99999"), r.err());
    assertNoStackTrace(r);
  }

  @Test
  void portThatIsNotANumberIsUsageErrorWithExitCode2() {
    CliRun r = CliRun.of("server", "-p", "abc");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("'abc' is not an int"), r.err());
    assertNoStackTrace(r);
  }

  @Test
  void aCatalogThatIsNotPostgresIsUsageErrorThatNeverEchoesAPassword() {
    CliRun r = CliRun.of("server", "--catalog", "jdbc:mysql://db/catalog?user=u&password=hunter2");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("--catalog") && r.err().contains("jdbc:postgresql://"), r.err());
    assertFalse(r.out().contains("hunter2") || r.err().contains("hunter2"), r.err());
    assertNoStackTrace(r);
  }

  @Test
  void missingDatasetDirectoryIsUsageErrorNamingTheDirectory(@TempDir Path tmp) {
    Path missing = tmp.resolve("no-such-dir");
    CliRun r = CliRun.of("server", "-d", "robots=" + missing);
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("Dataset directory does not exist: " + missing), r.err());
    assertNoStackTrace(r);
  }

  @Test
  void datasetThatIsAFileIsUsageError(@TempDir Path tmp) throws Exception {
    Path file = Files.writeString(tmp.resolve("a.rrd"), "x");
    CliRun r = CliRun.of("server", "--dataset", file.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("Not a directory: " + file), r.err());
  }

  @Test
  void unknownOptionIsUsageError() {
    CliRun r = CliRun.of("server", "--prot", "1");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("--prot"), r.err());
    assertTrue(r.err().contains("Try 'rrdflight server --help'"), r.err());
  }

  @Test
  void noSubcommandIsUsageError() {
    CliRun r = CliRun.of();
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("Missing subcommand"), r.err());
  }

  @Test
  void serverHelpListsEveryLimitWithItsDefault() {
    CliRun r = CliRun.of("server", "--help");
    for (String expected : new String[] {"--allow-root", "--query-timeout", "600)", "--query-memory", "512m)",
        "--max-queries", "--max-queued-queries", "--max-sql-length", "--max-message-size", "64m)", "--max-connections",
        "--max-calls-per-connection", "--first-bytes-timeout", "--idle-timeout", "--max-prefix-files", "Limits:"}) {
      assertTrue(r.out().contains(expected), "missing " + expected + " in:\n" + r.out());
    }
  }

  @Test
  void theOptionsDefaultsAreTheServersDefaults() {
    ServerCommand command = new ServerCommand();
    new picocli.CommandLine(command.spec()).parseArgs();
    assertEquals(io.rrdflight.server.ServerLimits.DEFAULTS, command.config().limits());
    assertTrue(command.config().allowedRoots().isEmpty());
  }

  @Test
  void eachOptionIsReadIntoItsOwnComponent(@TempDir Path tmp) {
    ServerCommand command = new ServerCommand();
    new picocli.CommandLine(command.spec()).parseArgs("-d", "a", "--dataset", "b", "-t", "c", "--host", "h", "-p", "1",
        "--data-dir", tmp.toString(), "--catalog", "jdbc:postgresql://db/x", "--advertise", "grpc+tcp://n:2", "--auth",
        "--tls-cert", "c.pem", "--tls-key", "k.pem", "--allow-root", "r", "--s3-endpoint", "http://s3", "--query-timeout", "3",
        "--query-memory", "4m", "--chunk-cache", "5m", "--query-workers", "6", "--max-queries", "7", "--max-queued-queries", "8",
        "--max-sql-length", "9", "--max-message-size", "10m", "--max-connections", "11", "--max-calls-per-connection", "12",
        "--first-bytes-timeout", "13", "--idle-timeout", "14", "--max-prefix-files", "15", "--compact-small-chunks", "off",
        "--exit-when-ready");
    assertEquals(new ServerOptions(java.util.List.of("a", "b"), java.util.List.of("c"), "h", 1, tmp.toAbsolutePath().normalize(),
        java.util.Optional.of("jdbc:postgresql://db/x"), java.util.Optional.of(java.net.URI.create("grpc+tcp://n:2")), true, false,
        java.util.Optional.of(Path.of("c.pem")), java.util.Optional.of(Path.of("k.pem")), java.util.List.of("r"),
        java.util.Optional.of("http://s3"), 3, "4m", "5m", 6, 7, 8, 9, "10m", 11, 12, 13, 14, 15, "off", true, false),
        command.options());
  }

  @Test
  void limitsAreParsedWithUnits(@TempDir Path tmp) {
    ServerCommand command = new ServerCommand();
    new picocli.CommandLine(command.spec()).parseArgs("--query-memory", "2g", "--max-message-size", "16MiB", "--query-timeout", "5",
        "--allow-root", tmp.toString(), "--query-workers", "3", "--chunk-cache", "64m");
    assertEquals(2L << 30, command.config().limits().queryMemoryBytes());
    assertEquals(64L << 20, command.config().limits().chunkCacheBytes());
    assertEquals(3, command.config().limits().queryWorkers());
    assertEquals(16 << 20, command.config().limits().maxMessageBytes());
    assertEquals(java.time.Duration.ofSeconds(5), command.config().limits().queryTimeout());
    assertEquals(java.util.List.of(tmp.toAbsolutePath().normalize()), command.config().allowedRoots());
  }

  @Test
  void aBadLimitOrAMissingAllowedRootIsAUsageError(@TempDir Path tmp) {
    CliRun size = CliRun.of("server", "--query-memory", "lots");
    assertEquals(2, size.exitCode());
    assertTrue(size.err().contains("not a size: 'lots'"), size.err());
    CliRun zero = CliRun.of("server", "--max-queries", "0");
    assertEquals(2, zero.exitCode());
    assertTrue(zero.err().contains("maxQueries must be positive"), zero.err());
    CliRun workers = CliRun.of("server", "--query-workers", "0");
    assertEquals(2, workers.exitCode());
    assertTrue(workers.err().contains("queryWorkers must be positive"), workers.err());
    CliRun root = CliRun.of("server", "--allow-root", tmp.resolve("nope").toString());
    assertEquals(2, root.exitCode());
    assertTrue(root.err().contains("--allow-root directory does not exist: " + tmp.resolve("nope")), root.err());
    assertNoStackTrace(size);
    assertNoStackTrace(root);
  }

  @Test
  void aChunkCacheOfZeroKeepsNothingAsTheHelpSays(@TempDir Path tmp) {
    ServerCommand command = new ServerCommand();
    new picocli.CommandLine(command.spec()).parseArgs("--allow-root", tmp.toString(), "--chunk-cache", "0");
    assertEquals(0, command.config().limits().chunkCacheBytes());
    CliRun zeroMemory = CliRun.of("server", "--query-memory", "0");
    assertEquals(2, zeroMemory.exitCode());
    assertTrue(zeroMemory.err().contains("a size must be positive: '0'"), zeroMemory.err());    CliRun huge = CliRun.of("server", "--chunk-cache", "999999999999g");
    assertEquals(2, huge.exitCode());
    assertTrue(huge.err().contains("not a size: '999999999999g' (too large)"), huge.err());
    assertNoStackTrace(huge);
  }

  @Test
  void aChunkCacheThatIsNotASizeIsAUsageError() {
    CliRun cache = CliRun.of("server", "--chunk-cache", "lots");
    assertEquals(2, cache.exitCode());
    assertTrue(cache.err().contains("not a size: 'lots'"), cache.err());
    assertNoStackTrace(cache);
  }

  private static void assertNoStackTrace(CliRun r) {
    assertFalse(r.err().contains("\tat "), "stack trace printed:\n" + r.err());
    assertFalse(r.out().contains("\tat "), "stack trace printed:\n" + r.out());
  }
}
