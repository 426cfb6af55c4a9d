package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;

/**
 * The secret that signs and verifies every token of one data dir: 32 random bytes, base64 in the
 * file {@code server.key}, readable by its owner only (mode 0600). Created on first use, atomically,
 * so a {@code token create} racing a starting server cannot leave a half-written key. Deleting the
 * file invalidates every token ever issued for this data dir.
 */
public final class ServerKey {
  public static final String FILE_NAME = "server.key";
  private static final int KEY_BYTES = 32;
  static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private final byte[] secret;

  private ServerKey(byte[] secret) {
    this.secret = secret;
  }

  /** Reads the key of {@code dataDir}, creating it when there is none. */
  public static ServerKey loadOrCreate(Path dataDir) throws IOException {
    requireNonNull(dataDir, "dataDir is null");
    Path file = dataDir.resolve(FILE_NAME);
    if (!Files.exists(file)) {
      create(file);
    }
    return read(file);
  }

  /** A new random secret, for a store that keeps its key elsewhere than in a file. */
  static byte[] newSecret() {
    byte[] secret = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(secret);
    return secret;
  }

  /** The key of a secret read from {@code where} (named in errors; the secret never is). */
  static ServerKey of(byte[] secret, String where) throws IOException {
    if (secret.length < KEY_BYTES) {
      throw new IOException("server key " + where + " is too short (" + secret.length + " bytes, need " + KEY_BYTES + ")");
    }
    return new ServerKey(Arrays.copyOf(secret, secret.length));
  }

  private static void create(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    byte[] secret = newSecret();
    Path temp = Files.createTempFile(file.getParent(), ".server.key-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    try {
      Files.writeString(temp, Base64.getEncoder().encodeToString(secret) + "\n", StandardCharsets.US_ASCII);
      // A hard link fails when the name exists, where a rename would replace it: whoever links first wins.
      Files.createLink(file, temp);
    } catch (FileAlreadyExistsException raced) {
      // Another process created the key meanwhile; use theirs.
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Refuses {@code file} (named {@code what} in the message) when its group or others may read or write
   * it: whoever can read it can forge or read credentials, whoever can write it can make themselves one.
   */
  static void refuseIfOthersMayAccess(Path file, String what) throws IOException {
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
    Set<PosixFilePermission> others = Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
    if (mode.stream().anyMatch(others::contains)) {
      throw new IOException(what + " " + file + " is readable or writable by others (mode "
          + PosixFilePermissions.toString(mode) + "); run: chmod 600 " + file);
    }
  }

  private static ServerKey read(Path file) throws IOException {
    refuseIfOthersMayAccess(file, "server key");
    byte[] secret;
    try {
      secret = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).trim());
    } catch (IllegalArgumentException e) {
      throw new IOException("server key " + file + " is not base64; delete it to make a new one (every token becomes invalid)");
    }
    return of(secret, file.toString());
  }

  byte[] secret() {
    return Arrays.copyOf(secret, secret.length);
  }

  @Override
  public String toString() {
    return "ServerKey[****]"; // never the secret
  }
}
