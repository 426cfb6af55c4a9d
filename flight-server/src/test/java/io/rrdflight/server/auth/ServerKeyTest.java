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
  void authStoreFileWritableByOthersIsRefusedWithTheFix() throws IOException {
    AuthStore.open(dataDir).close();
    Path file = dataDir.resolve(SqliteAuthStore.FILE_NAME);
    for (String mode : new String[] {"rw-rw----", "rw----rw-", "rw-r-----"}) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
      IOException e = assertThrows(IOException.class, () -> AuthStore.open(dataDir), mode);
      assertTrue(e.getMessage().contains("auth store " + file) && e.getMessage().contains("run: chmod 600 " + file), e.getMessage());
    }
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    AuthStore.open(dataDir).close(); // and after the chmod it opens again
  }

  @Test
  void toStringNeverShowsTheSecret() throws IOException {
    assertEquals("ServerKey[****]", ServerKey.loadOrCreate(dataDir).toString());
  }
}
