package io.rrdflight.rrd.s3;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keys for signing requests, from the standard AWS places in the standard order: the environment
 * ({@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}, {@code AWS_SESSION_TOKEN}), then the
 * shared credentials file ({@code AWS_SHARED_CREDENTIALS_FILE}, else {@code ~/.aws/credentials}) for
 * the profile {@code AWS_PROFILE} (else "default"). None found: requests go unsigned (public
 * buckets). The secret never appears in {@link #toString()}, logs or messages.
 */
public record S3Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
  public S3Credentials {
    requireNonNull(accessKeyId, "accessKeyId is null");
    requireNonNull(secretAccessKey, "secretAccessKey is null");
  }

  @Override
  public String toString() {
    return "S3Credentials[" + accessKeyId + ", secret hidden" + (sessionToken == null ? "" : ", session token") + "]";
  }

  /** The credentials of the standard chain (environment, then profile), if any. */
  public static Optional<S3Credentials> standardChain(Map<String, String> env, Path home) {
    String id = env.get("AWS_ACCESS_KEY_ID");
    String secret = env.get("AWS_SECRET_ACCESS_KEY");
    if (id != null && !id.isBlank() && secret != null && !secret.isBlank()) {
      return Optional.of(new S3Credentials(id, secret, blankToNull(env.get("AWS_SESSION_TOKEN"))));
    }
    Map<String, String> profile = profile(env, home, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", "");
    if (profile.containsKey("aws_access_key_id") && profile.containsKey("aws_secret_access_key")) {
      return Optional.of(new S3Credentials(profile.get("aws_access_key_id"), profile.get("aws_secret_access_key"),
          blankToNull(profile.get("aws_session_token"))));
    }
    return Optional.empty();
  }

  /** The region: {@code AWS_REGION}, {@code AWS_DEFAULT_REGION}, the profile's in ~/.aws/config, else us-east-1. */
  public static String region(Map<String, String> env, Path home) {
    for (String name : List.of("AWS_REGION", "AWS_DEFAULT_REGION")) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return value.trim();
      }
    }
    String fromConfig = profile(env, home, "AWS_CONFIG_FILE", ".aws/config", "profile ").get("region");
    return fromConfig == null || fromConfig.isBlank() ? "us-east-1" : fromConfig.trim();
  }

  /**
   * The keys of the profile's section of an INI file; {@code sectionPrefix} is "profile " for
   * ~/.aws/config, whose non-default sections are named so.
   */
  private static Map<String, String> profile(Map<String, String> env, Path home, String fileVariable, String defaultFile,
      String sectionPrefix) {
    Path file = env.get(fileVariable) != null ? Path.of(env.get(fileVariable)) : home == null ? null : home.resolve(defaultFile);
    String name = Optional.ofNullable(env.get("AWS_PROFILE")).filter(s -> !s.isBlank()).orElse("default");
    String section = name.equals("default") ? "default" : sectionPrefix + name;
    Map<String, String> values = new HashMap<>();
    if (file == null || !Files.isRegularFile(file)) {
      return values;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      return values; // unreadable: as if absent, like the AWS tools
    }
    boolean inSection = false;
    for (String raw : lines) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        inSection = line.substring(1, line.length() - 1).strip().equals(section);
        continue;
      }
      int eq = line.indexOf('=');
      if (inSection && eq > 0) {
        values.put(line.substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT), line.substring(eq + 1).strip());
      }
    }
    return values;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
