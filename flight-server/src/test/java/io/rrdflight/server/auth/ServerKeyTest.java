package io.rrdflight.server.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerKeyTest {
  @TempDir Path dataDir;

  @Test
  void keyIsCreatedOwnerOnlyAndReusedAfterwards() throws IOException {
    ServerKey first = ServerKey.loadOrCreate(dataDir);
    Path file = dataDir.resolve(ServerKey.FILE_NAME);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertArrayEquals(first.secret(), ServerKey.loadOrCreate(dataDir).secret());
    assertEquals(32, first.secret().length);
  }

  @Test
  void keyReadableByOthersIsRefusedWithTheFix() throws IOException {
    ServerKey.loadOrCreate(dataDir);
    Path file = dataDir.resolve(ServerKey.FILE_NAME);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    IOException e = assertThrows(IOException.class, () -> ServerKey.loadOrCreate(dataDir));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
  }

  @Test
  void authStoreFileIsOwnerOnly() throws IOException {
    try (AuthStore store = AuthStore.open(dataDir)) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve(SqliteAuthStore.FILE_NAME))));
    }
  }

  @Test
  void toStringNeverShowsTheSecret() throws IOException {
    assertEquals("ServerKey[****]", ServerKey.loadOrCreate(dataDir).toString());
  }
}
