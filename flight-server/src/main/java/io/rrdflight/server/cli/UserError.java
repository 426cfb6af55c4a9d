package io.rrdflight.server.cli;

/**
 * A failure the user can fix (a bad file, a port in use). The CLI prints its message, without a
 * stack trace, and exits with {@link #exitCode()}.
 */
public class UserError extends RuntimeException {
  private final int exitCode;

  public UserError(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  public UserError(String message, int exitCode, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
