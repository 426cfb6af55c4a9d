package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reading x-rerun-client-version as every Rerun client writes it, and what each client is served. */
class ClientVersionTest {
  @Test
  void onlyTheVersionAfterTheLastSlashCounts() {
    assertEquals(new ClientVersion.Semver(0, 41, 0), ClientVersion.parse("rerun-py/0.41.0").version().orElseThrow());
    assertEquals(new ClientVersion.Semver(0, 28, 0), ClientVersion.parse("my/service/0.28.0-alpha.1+dev").version().orElseThrow());
    assertTrue(ClientVersion.parse("rerun-py").version().isEmpty());
  }

  @Test
  void zeroTwentySevenSpeaksPartitionsAndEverythingElseSegments() {
    assertEquals(ClientVersion.Generation.PARTITIONS, ClientVersion.parse("rerun/0.27.3").generation());
    assertEquals(ClientVersion.Generation.SEGMENTS, ClientVersion.parse("rerun-py/0.28.0").generation());
    assertEquals(ClientVersion.Generation.SEGMENTS, ClientVersion.parse(null).generation());
  }

  @Test
  void compressedPartsFromZeroTwentyNine() {
    assertFalse(ClientVersion.parse("rerun-py/0.28.2").readsCompressedParts());
    assertTrue(ClientVersion.parse("rerun-py/0.29.0").readsCompressedParts());
    assertFalse(ClientVersion.parse("rerun/0.27.3").readsCompressedParts());
  }

  @Test
  void unknownSegmentsAreSkippedFromZeroThirtyThreeAndForClientsWithoutAVersion() {
    assertFalse(ClientVersion.parse("rerun/0.27.3").expectsUnknownSegmentsSkipped());
    assertFalse(ClientVersion.parse("rerun-py/0.32.1").expectsUnknownSegmentsSkipped());
    assertTrue(ClientVersion.parse("rerun-py/0.33.0").expectsUnknownSegmentsSkipped());
    assertTrue(ClientVersion.parse("rerun-py/0.41.0").expectsUnknownSegmentsSkipped());
    assertTrue(ClientVersion.parse(null).expectsUnknownSegmentsSkipped());
  }

  @Test
  void theSupportedRangeIsZeroTwentySevenToZeroFortyOne() {
    assertTrue(ClientVersion.parse("rerun/0.27.0").supported());
    assertTrue(ClientVersion.parse("rerun-py/0.41.9").supported());
    assertTrue(ClientVersion.parse(null).supported());
    assertFalse(ClientVersion.parse("rerun-py/0.26.2").supported());
    assertFalse(ClientVersion.parse("rerun-py/0.42.0").supported());
    assertFalse(ClientVersion.parse("rerun-py/1.0.0").supported());
  }
}
