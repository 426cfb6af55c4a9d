package io.rrdflight.sql;

import io.rrdflight.catalog.CatalogException;
import io.rrdflight.rrd.RrdFormatException;
import org.apache.calcite.runtime.CalciteException;
import org.apache.calcite.sql.parser.SqlParseException;
import org.apache.calcite.sql.validate.SqlValidatorException;

/** A query that cannot be planned or run: bad SQL, an unknown table or column, a bad parameter. */
public final class SqlQueryException extends RuntimeException {
  /** Thrown by our code on purpose, with a message written for the user (not a wrapped failure). */
  private final boolean deliberate;

  /** A failure the caller recognised and describes for the user, e.g. a bad query_view argument. */
  public SqlQueryException(String message, Throwable cause) {
    this(message, cause, true);
  }

  public SqlQueryException(String message) {
    this(message, null, true);
  }

  private SqlQueryException(String message, Throwable cause, boolean deliberate) {
    super(message, cause);
    this.deliberate = deliberate;
  }

  /**
   * Whatever went wrong while planning or running a query, not yet understood: a user error when
   * {@code cause} is one (see {@link #isUserError()}), an internal failure otherwise.
   */
  public static SqlQueryException wrapping(String message, Throwable cause) {
    return new SqlQueryException(message, cause, false);
  }

  /**
   * True when the message is for the client: our own, or a wrapped cause that is about the query or
   * the data (bad SQL, unknown names, a bad cast or division, a catalog or file problem). False when
   * something inside the planner or the engine broke; then the message shows internals and only the
   * server log gets it.
   */
  public boolean isUserError() {
    if (deliberate) {
      return true;
    }
    for (Throwable t = getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SqlQueryException nested) {
        return nested.isUserError();
      }
      if (t instanceof SqlParseException || t instanceof SqlValidatorException || t instanceof CalciteException
          || t instanceof CatalogException || t instanceof RrdFormatException || t instanceof ArithmeticException
          || t instanceof NumberFormatException || t instanceof QueryAbortedException) {
        return true;
      }
    }
    return false;
  }
}
