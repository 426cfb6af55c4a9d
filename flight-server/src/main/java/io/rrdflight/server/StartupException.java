package io.rrdflight.server;

/** The server cannot start for a reason its operator can fix (a TLS key it cannot read, a server key others can read). */
public final class StartupException extends RuntimeException {
  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
