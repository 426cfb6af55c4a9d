package io.rrdflight.sql;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The {@code ?} placeholders of a statement's text, and the text with bound values written in as
 * SQL literals. Planning the literal text lets the planner push parameter values into scans (which
 * chunks to read) and pass them to {@code query_view}, whose arguments must be literals; the plan
 * of the text with {@code ?} cannot do either. Placeholders inside string literals, quoted
 * identifiers and comments are not placeholders.
 */
public final class SqlParameters {
  private SqlParameters() {}

  /** Where each placeholder is in {@code sql}, in order. */
  static int[] positions(String sql) {
    requireNonNull(sql, "sql is null");
    int[] found = new int[8];
    int count = 0;
    int i = 0;
    while (i < sql.length()) {
      char c = sql.charAt(i);
      if (c == '\'' || c == '"') {
        i = closing(sql, i, c);
      } else if (c == '-' && i + 1 < sql.length() && sql.charAt(i + 1) == '-') {
        int end = sql.indexOf('\n', i);
        i = end < 0 ? sql.length() : end;
      } else if (c == '/' && i + 1 < sql.length() && sql.charAt(i + 1) == '*') {
        int end = sql.indexOf("*/", i + 2);
        i = end < 0 ? sql.length() : end + 2;
      } else {
        if (c == '?') {
          if (count == found.length) {
            found = java.util.Arrays.copyOf(found, count * 2);
          }
          found[count++] = i;
        }
        i++;
      }
    }
    return java.util.Arrays.copyOf(found, count);
  }

  /** The index just after the quoted text starting at {@code open}; a doubled quote is part of it. */
  private static int closing(String sql, int open, char quote) {
    int i = open + 1;
    while (i < sql.length()) {
      if (sql.charAt(i) == quote) {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i++;
    }
    return i;
  }

  /**
   * {@code sql} with its placeholders replaced by {@code values} as literals, or empty when a value
   * has no literal form here (then the statement runs with bound parameters).
   */
  public static Optional<String> inline(String sql, List<?> values) {
    int count = positions(sql).length;
    if (count != values.size()) {
      throw new SqlQueryException("Query has " + count + " parameters but " + values.size() + " values were bound");
    }
    List<Optional<String>> literals = values.stream().map(SqlParameters::literal).toList();
    if (literals.stream().anyMatch(Optional::isEmpty)) {
      return Optional.empty();
    }
    return Optional.of(substitute(sql, k -> literals.get(k)));
  }

  /** {@code sql} with placeholder k replaced by {@code literalFor(k)} where that is present; the others stay {@code ?}. */
  static String substitute(String sql, java.util.function.IntFunction<Optional<String>> literalFor) {
    int[] at = positions(sql);
    StringBuilder out = new StringBuilder(sql.length() + 16 * at.length);
    int from = 0;
    for (int k = 0; k < at.length; k++) {
      out.append(sql, from, at[k]).append(literalFor.apply(k).orElse("?"));
      from = at[k] + 1;
    }
    return out.append(sql, from, sql.length()).toString();
  }

  /** A value as a SQL literal of its type: strings quoted, numbers plain, times as TIMESTAMP literals. */
  static Optional<String> literal(Object value) {
    if (value == null) {
      return Optional.of("NULL");
    }
    if (value instanceof String s) {
      return Optional.of("'" + s.replace("'", "''") + "'");
    }
    if (value instanceof Boolean b) {
      return Optional.of(b ? "TRUE" : "FALSE");
    }
    if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return Optional.of(value.toString());
    }
    if (value instanceof BigDecimal d) {
      return Optional.of(d.toPlainString());
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      return Double.isFinite(d) ? Optional.of(new BigDecimal(d).toPlainString()) : Optional.empty();
    }
    if (value instanceof Timestamp t) {
      return Optional.of("TIMESTAMP '" + t.toLocalDateTime().toString().replace('T', ' ') + "'");
    }
    if (value instanceof LocalDateTime t) {
      return Optional.of("TIMESTAMP '" + t.toString().replace('T', ' ') + "'");
    }
    if (value instanceof byte[] bytes) {
      return Optional.of("X'" + HexFormat.of().formatHex(bytes) + "'");
    }
    return Optional.empty();
  }
}
