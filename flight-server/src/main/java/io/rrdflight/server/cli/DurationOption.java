package io.rrdflight.server.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A lifetime on the command line: {@code 90d}, {@code 12h}, {@code 30m}, {@code 45s}, {@code 2w},
 * {@code 1y} (365 days), an ISO-8601 duration ({@code P30D}, {@code PT12H}), or {@code never}
 * (empty).
 */
final class DurationOption {
  private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*([smhdwy])");

  static Optional<Duration> parse(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("never")) {
      return Optional.empty();
    }
    Matcher m = SHORT.matcher(v);
    Duration d;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d = switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        case "d" -> Duration.ofDays(n);
        case "w" -> Duration.ofDays(7 * n);
        default -> Duration.ofDays(365 * n);
      };
    } else {
      try {
        d = Duration.parse(value.trim().toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("'" + value + "' is not a duration: use e.g. 90d, 12h, 30m, P30D or never");
      }
    }
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("'" + value + "' is not a positive duration");
    }
    return Optional.of(d);
  }
}
