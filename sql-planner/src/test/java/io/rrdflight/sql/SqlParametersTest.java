package io.rrdflight.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.sql.Timestamp;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Placeholders are found outside quotes and comments, and bound values become literals of their type. */
class SqlParametersTest {
  @Test
  void placeholdersInStringsIdentifiersAndCommentsAreNotPlaceholders() {
    String sql = "SELECT '?', \"a?b\", 'it''s ?' FROM t -- ? here\n WHERE x = ? /* ? */ AND y = ?";
    assertArrayEquals(new int[] {sql.indexOf("x = ?") + 4, sql.lastIndexOf('?')}, SqlParameters.positions(sql));
  }

  @Test
  void valuesAreWrittenInAsLiteralsOfTheirType() {
    assertEquals(Optional.of("SELECT * FROM t WHERE a = 'it''s' AND b BETWEEN 3 AND 4.5 AND c = TRUE AND d >= TIMESTAMP '2024-01-15 10:00:08' AND e IS NULL"),
        SqlParameters.inline("SELECT * FROM t WHERE a = ? AND b BETWEEN ? AND ? AND c = ? AND d >= ? AND e IS ?",
            Arrays.asList("it's", 3L, 4.5, true, Timestamp.valueOf("2024-01-15 10:00:08"), null)));
  }

  @Test
  void aValueWithoutALiteralFormLeavesTheStatementAsItIs() {
    assertEquals(Optional.empty(), SqlParameters.inline("SELECT ?", List.of(new Object())));
  }

  @Test
  void theNumberOfValuesMustMatch() {
    assertThrows(SqlQueryException.class, () -> SqlParameters.inline("SELECT ?, ?", List.of(1)));
  }
}
