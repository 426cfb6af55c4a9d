package io.rrdflight.catalog;

import static io.rrdflight.catalog.CatalogTest.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.CatalogTest.FileListIndexer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import io.rrdflight.rrd.s3.S3Location;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client may register: regular files under the allowed roots, checked after resolving
 * links, with one answer for everything outside; prefixes walked in the background, bounded.
 */
class RegistrationLimitsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dataDir;
  @TempDir Path root;
  @TempDir Path elsewhere;

  private Catalog open(int maxPrefixEntries) {
    return Catalog.open(dataDir, new FileListIndexer(), 1, new RegistrationLimits(AllowedRoots.of(List.of(root)), maxPrefixEntries));
  }

  private static Path write(Path file, String... recordingIds) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.write(file, List.of(recordingIds));
  }

  private static CatalogException.Kind kindOf(Runnable r) {
    return assertThrows(CatalogException.class, r::run).kind();
  }

  private static void mkfifo(Path path) throws Exception {
    Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed");
  }

  @Test
  void outsideTheRootsExistingMissingAndUnreadableFilesLookTheSame() throws Exception {
    Path secret = write(elsewhere.resolve("secret.rrd"), "rec-secret");
    Path unreadableDir = Files.createDirectory(elsewhere.resolve("locked"));
    Path hidden = write(unreadableDir.resolve("hidden.rrd"), "rec-hidden");
    Files.setPosixFilePermissions(unreadableDir, PosixFilePermissions.fromString("---------"));
    try (Catalog c = open(1000)) {
      List<String> messages = new java.util.ArrayList<>();
      for (Path p : List.of(secret, elsewhere.resolve("missing.rrd"), hidden, Path.of("/etc/shadow"))) {
        CatalogException e = assertThrows(CatalogException.class, () -> registrable(c, p));
        assertEquals(CatalogException.Kind.PERMISSION_DENIED, e.kind(), e.getMessage());
        messages.add(e.getMessage().replace(p.toString(), "PATH"));
      }
      assertEquals(1, messages.stream().distinct().count(), messages.toString());
    } finally {
      Files.setPosixFilePermissions(unreadableDir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void aLinkInsideARootThatLeadsOutIsRefused() throws Exception {
    Path secret = write(elsewhere.resolve("secret.rrd"), "rec-secret");
    Path link = Files.createSymbolicLink(root.resolve("innocent.rrd"), secret);
    Path dirLink = Files.createSymbolicLink(root.resolve("away"), elsewhere);
    try (Catalog c = open(1000)) {
      assertEquals(CatalogException.Kind.PERMISSION_DENIED, kindOf(() -> registrable(c, link)));
      assertEquals(CatalogException.Kind.PERMISSION_DENIED, kindOf(() -> registrable(c, dirLink.resolve("secret.rrd"))));
      // A task names the file too: it is checked again when the task runs.
      Dataset d = c.createDataset("ds");
      Task t = c.register(d.id(), source(link), OnDuplicate.ERROR, WAIT);
      assertEquals(TaskStatus.FAILED, t.status());
      assertTrue(t.message().contains("is not under a directory this server registers files from"), t.message());
      assertTrue(c.partitions(d.id()).isEmpty());
    }
  }

  @Test
  void insideTheRootsMissingFilesAndDirectoriesSaySo() throws Exception {
    Files.createDirectory(root.resolve("sub"));
    Path good = write(root.resolve("good.rrd"), "rec-good");
    try (Catalog c = open(1000)) {
      assertEquals(good.toRealPath(), registrable(c, good));
      CatalogException missing = assertThrows(CatalogException.class, () -> registrable(c, root.resolve("missing.rrd")));
      assertEquals(CatalogException.Kind.NOT_FOUND, missing.kind());
      assertTrue(missing.getMessage().startsWith("File not found"), missing.getMessage());
      assertTrue(assertThrows(CatalogException.class, () -> registrable(c, root.resolve("sub"))).getMessage().contains("is a directory"));
    }
  }

  @Test
  void aFifoIsRefusedWithoutBeingOpened() throws Exception {
    Path fifo = root.resolve("x.rrd");
    mkfifo(fifo);
    try (Catalog c = open(1000)) {
      CatalogException e = assertThrows(CatalogException.class, () -> registrable(c, fifo));
      assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
      // Were the FIFO opened, this task would block its worker forever; it fails at once instead.
      Task t = c.register(c.createDataset("ds").id(), source(fifo), OnDuplicate.ERROR, WAIT);
      assertEquals(TaskStatus.FAILED, t.status());
      assertTrue(t.message().contains("not a regular file"), t.message());
    }
  }

  @Test
  void aPrefixIsWalkedInTheBackgroundAndItsTaskFinishesWithTheFiles() throws Exception {
    Path tree = root.resolve("tree");
    write(tree.resolve("a.rrd"), "rec-a");
    write(tree.resolve("sub/b.RRD"), "rec-b");
    write(tree.resolve("sub/deeper/c.rrd"), "rec-c");
    write(tree.resolve("notes.txt"), "rec-x");
    mkfifo(tree.resolve("sub/fifo.rrd"));
    try (Catalog c = open(1000)) {
      Dataset d = c.createDataset("ds");
      Task prefix = c.submitPrefix(d.id(), source(tree), OnDuplicate.ERROR);
      Task done = c.awaitFinished(List.of(prefix.id()), WAIT).get(0);
      assertEquals(TaskStatus.SUCCESS, done.status(), done.message());
      assertEquals(List.of("rec-a", "rec-b", "rec-c"), done.partitionIds().stream().sorted().toList());
      assertEquals(List.of("rec-a", "rec-b", "rec-c"), c.partitions(d.id()).stream().map(Partition::partitionId).toList());
    }
  }

  @Test
  void aPrefixWithMoreEntriesThanTheLimitFailsAndRegistersNothing() throws Exception {
    for (int i = 0; i < 30; i++) {
      write(root.resolve("many/f" + i + ".rrd"), "rec-" + i);
    }
    try (Catalog c = open(20)) {
      Dataset d = c.createDataset("ds");
      Task done = c.awaitFinished(List.of(c.submitPrefix(d.id(), source(root.resolve("many")), OnDuplicate.ERROR).id()), WAIT).get(0);
      assertEquals(TaskStatus.FAILED, done.status());
      assertTrue(done.message().contains("more than 20") && done.message().contains("--max-prefix-files"), done.message());
      assertTrue(c.partitions(d.id()).isEmpty());
    }
  }

  @Test
  void aPrefixOutsideTheRootsIsRefusedAtOnce() {
    try (Catalog c = open(1000)) {
      Dataset d = c.createDataset("ds");
      for (Path p : List.of(Path.of("/"), Path.of("/usr"), elsewhere)) {
        assertEquals(CatalogException.Kind.PERMISSION_DENIED, kindOf(() -> c.submitPrefix(d.id(), source(p), OnDuplicate.ERROR)));
      }
      assertTrue(c.tasks(d.id()).isEmpty());
    }
  }

  @Test
  void aFailingFileFailsThePrefixTaskNamingIt() throws Exception {
    write(root.resolve("mixed/good.rrd"), "rec-good");
    Path bad = write(root.resolve("mixed/bad.rrd"), "corrupt");
    try (Catalog c = open(1000)) {
      Dataset d = c.createDataset("ds");
      Task done = c.awaitFinished(List.of(c.submitPrefix(d.id(), source(root.resolve("mixed")), OnDuplicate.ERROR).id()), WAIT).get(0);
      assertEquals(TaskStatus.FAILED, done.status());
      assertTrue(done.message().startsWith("1 of 2") && done.message().contains(bad.toString()), done.message());
      assertEquals(List.of("rec-good"), c.partitions(d.id()).stream().map(Partition::partitionId).toList());
    }
  }

  /** The real path the catalog opens for a file a client names (see Catalog#openRegistrable). */
  private static Path registrable(Catalog c, Path file) {
    try (io.rrdflight.rrd.RecordingSource source = c.openRegistrable(CatalogTest.source(file))) {
      return ((io.rrdflight.rrd.LocalFile) source).path();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void objectsAreAllowedBelowTheirPrefixesOnlyAndDotSegmentsAreRefused() {
    AllowedRoots roots = AllowedRoots.of(List.of(), List.of(S3Location.parse("s3://fleet/runs/")));
    assertEquals(S3Location.parse("s3://fleet/runs/a.rrd"), roots.requireObject(S3Location.parse("s3://fleet/runs/a.rrd")));
    for (String outside : List.of("s3://fleet/other/a.rrd", "s3://other/runs/a.rrd", "s3://fleet/run.rrd")) {
      CatalogException e = assertThrows(CatalogException.class, () -> roots.requireObject(S3Location.parse(outside)));
      assertEquals(CatalogException.Kind.PERMISSION_DENIED, e.kind(), outside);
    }
    for (String dotted : List.of("s3://fleet/runs/../secret.rrd", "s3://fleet/runs/./a.rrd")) {
      CatalogException e = assertThrows(CatalogException.class, () -> roots.requireObject(S3Location.parse(dotted)));
      assertEquals(CatalogException.Kind.INVALID_ARGUMENT, e.kind(), dotted);
    }
  }
}
