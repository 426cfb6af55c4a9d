package io.rrdflight.sql;

/** A query that cannot be planned or run: bad SQL, an unknown table or column, a bad parameter. */
public final class SqlQueryException extends RuntimeException {
  public SqlQueryException(String message, Throwable cause) {
    super(message, cause);
  }

  public SqlQueryException(String message) {
    super(message);
  }
}
