package io.rrdflight.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PasswordHashTest {
  @Test
  void storedFormRoundTripsAndChecksThePassword() {
    PasswordHash hash = PasswordHash.of("correct horse".toCharArray());
    PasswordHash stored = PasswordHash.decode(hash.encode());
    assertEquals(hash, stored);
    assertTrue(stored.matches("correct horse".toCharArray()));
    assertFalse(stored.matches("correct horsE".toCharArray()));
    assertTrue(hash.encode().startsWith("pbkdf2-sha256$" + PasswordHash.ITERATIONS + "$"));
  }

  @Test
  void samePasswordGetsDifferentSalts() {
    assertFalse(PasswordHash.of("pw".toCharArray()).encode().equals(PasswordHash.of("pw".toCharArray()).encode()));
  }
}
