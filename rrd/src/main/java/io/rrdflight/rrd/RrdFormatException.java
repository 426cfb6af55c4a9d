package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.io.IOException;

/**
 * The bytes of an .rrd file are not what the format requires. The message always names the file, the
 * byte offset where reading failed and what was expected there, so that a user can act on it.
 *
 * <p>It is the only exception the reader throws for bad input: truncation, corruption, foreign files
 * and unsupported versions all end up here. Plain {@link IOException}s are left for failures of the
 * file system itself.
 */
public final class RrdFormatException extends IOException {
  private final String file;
  private final long offset;
  private final String problem;

  public RrdFormatException(String file, long offset, String problem) {
    this(file, offset, problem, null);
  }

  public RrdFormatException(String file, long offset, String problem, Throwable cause) {
    super(requireNonNull(file, "file is null") + " at byte " + offset + ": " + requireNonNull(problem, "problem is null"), cause);
    this.file = file;
    this.offset = offset;
    this.problem = problem;
  }

  /** The file that could not be read. */
  public String file() {
    return file;
  }

  /** The absolute byte offset in {@link #file()} where reading failed. */
  public long offset() {
    return offset;
  }

  /** What was wrong at {@link #offset()}, without the file name and offset. */
  public String problem() {
    return problem;
  }
}
