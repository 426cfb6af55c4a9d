package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Predicate;
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
    assertServedFrom("0.33.0", "0.32.1", ClientVersion::expectsUnknownSegmentsSkipped);
  }

  @Test
  void repeatsInOneRegistrationAreRefusedFromZeroThirtyAndForClientsWithoutAVersion() {
    assertServedFrom("0.30.0", "0.29.2", ClientVersion::expectsRepeatsInRequestRefused);
  }

  @Test
  void assetDatasetsAreShownFromZeroThirtyFiveAndToClientsWithoutAVersion() {
    assertServedFrom("0.35.0", "0.34.1", ClientVersion::knowsAssetDatasets);
  }

  /** A behaviour of Rerun's server from {@code first} on: not for 0.27.3 nor {@code lastWithout}, for {@code first}, 0.41 and a client without a version. */
  private static void assertServedFrom(String first, String lastWithout, Predicate<ClientVersion> behaviour) {
    assertFalse(behaviour.test(ClientVersion.parse("rerun/0.27.3")));
    assertFalse(behaviour.test(ClientVersion.parse("rerun-py/" + lastWithout)));
    assertTrue(behaviour.test(ClientVersion.parse("rerun-py/" + first)));
    assertTrue(behaviour.test(ClientVersion.parse("rerun-py/0.41.0")));
    assertTrue(behaviour.test(ClientVersion.parse(null)));
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
