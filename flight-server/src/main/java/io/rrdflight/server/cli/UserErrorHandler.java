package io.rrdflight.server.cli;

import picocli.CommandLine;

/** Turns exceptions from a command into one line on stderr and an exit code, never a stack trace for user errors. */
final class UserErrorHandler implements CommandLine.IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
    if (ex instanceof UserError userError) {
      cmd.getErr().println("rrdflight: " + userError.getMessage());
      return userError.exitCode();
    }
    // A bug, not a user error: the stack trace is what a bug report needs.
    cmd.getErr().println("rrdflight: internal error: " + ex);
    ex.printStackTrace(cmd.getErr());
    return 70;
  }
}
