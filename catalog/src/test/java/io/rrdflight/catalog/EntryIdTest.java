package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class EntryIdTest {
  @Test
  void hexIsTheTimeUpperCaseThenTheCounterLowerCaseEachSixteenDigits() {
    assertEquals("0000000000000ABC" + "00000000000000ff", new EntryId(0xABCL, 0xFFL).toHex());
    assertEquals("FFFFFFFFFFFFFFFF" + "8000000000000000", new EntryId(-1L, Long.MIN_VALUE).toHex());
    assertEquals("187A3F2B1C0D9E8F" + "0123456789abcdef", new EntryId(0x187A3F2B1C0D9E8FL, 0x0123456789ABCDEFL).toHex());
  }

  @Test
  void parsingTheHexGivesTheIdBack() {
    EntryId id = EntryId.random();
    assertEquals(id, EntryId.parse(id.toHex()));
    assertEquals(id, EntryId.parse(id.toHex().toLowerCase(java.util.Locale.ROOT)));
  }

  @Test
  void idsAreEqualWhenBothHalvesAreAndHashAsARecordDoes() {
    EntryId id = new EntryId(0x187A3F2B1C0D9E8FL, -5L);
    assertEquals(new EntryId(0x187A3F2B1C0D9E8FL, -5L), id);
    assertEquals(new EntryId(0x187A3F2B1C0D9E8FL, -5L).hashCode(), id.hashCode());
    assertNotEquals(new EntryId(0x187A3F2B1C0D9E8FL, -4L), id);
    assertNotEquals(new EntryId(0x187A3F2B1C0D9E8EL, -5L), id);
    assertNotEquals(id, id.toHex());
    assertEquals(31 * Long.hashCode(0x187A3F2B1C0D9E8FL) + Long.hashCode(-5L), id.hashCode());
  }
}
