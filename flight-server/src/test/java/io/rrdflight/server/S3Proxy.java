package io.rrdflight.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.rrdflight.rrd.s3.S3Client;
import io.rrdflight.rrd.s3.S3Credentials;
import io.rrdflight.rrd.s3.S3Location;
import java.net.URI;
import java.util.Optional;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real S3-compatible server for tests: s3proxy (org.gaul:s3proxy, copied to
 * target/s3proxy/s3proxy.jar by the build) in its own process on a free port of 127.0.0.1, with
 * SigV4 authentication and an in-memory blob store. Objects are put through its S3 API with
 * rrdflight's own client (signed PUTs), so they have the ETags a real store gives.
 */
public final class S3Proxy implements AutoCloseable {
  public static final String ACCESS_KEY = "rrdflight-test";
  public static final String SECRET_KEY = "rrdflight-test-secret";
  private static final Pattern STARTED = Pattern.compile("Started ServerConnector@\\S+\\{HTTP/1.1, \\(http/1.1\\)\\}\\{[^:]+:(\\d+)\\}");

  private final Process process;
  private final int port;
  private final List<String> output;
  private final S3Client client;

  private S3Proxy(Process process, int port, List<String> output) {
    this.process = process;
    this.port = port;
    this.output = output;
    this.client = new S3Client(Optional.of(URI.create(endpoint())), "us-east-1",
        Optional.of(new S3Credentials(ACCESS_KEY, SECRET_KEY, null)));
  }

  public static Path jar() {
    Path jar = Path.of(System.getProperty("rrdflight.s3proxy.jar", "target/s3proxy/s3proxy.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: 'mvn generate-test-resources' (or verify) copies it from Maven Central");
    }
    return jar;
  }

  public static S3Proxy start(Path dir) throws IOException, InterruptedException {
    return start(dir, "jclouds.provider=transient-nio2");
  }

  /** With its objects in {@code blobs} on disk (s3proxy's filesystem store), for data larger than its heap. */
  public static S3Proxy startOnDisk(Path dir, Path blobs) throws IOException, InterruptedException {
    Files.createDirectories(blobs);
    return start(dir, "jclouds.provider=filesystem-nio2\njclouds.filesystem.basedir=" + blobs);
  }

  private static S3Proxy start(Path dir, String store) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path properties = dir.resolve("s3proxy.properties");
    Files.writeString(properties, String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:0",
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        store,
        "jclouds.identity=" + ACCESS_KEY,
        "jclouds.credential=" + SECRET_KEY,
        ""));
    Process process = new ProcessBuilder(ServerProcess.javaBinary(), "-Xmx256m", "-jar", jar().toString(), "--properties", properties.toString())
        .redirectErrorStream(true).start();
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Integer> ready = new CompletableFuture<>();
    Thread pump = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          seen.add(line);
          Matcher m = STARTED.matcher(line);
          if (m.find()) {
            ready.complete(Integer.parseInt(m.group(1)));
          }
        }
      } catch (IOException e) {
        // ended
      }
      ready.completeExceptionally(new IllegalStateException("s3proxy exited:\n" + String.join("\n", seen)));
    }, "s3proxy-output");
    pump.setDaemon(true);
    pump.start();
    try {
      return new S3Proxy(process, ready.get(120, TimeUnit.SECONDS), seen);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("s3proxy did not start: " + e.getMessage() + "\n" + String.join("\n", seen), e);
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** The environment a client of this store needs: the standard AWS variables, and no profile. */
  public Map<String, String> credentials() {
    return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY, "AWS_REGION", "us-east-1");
  }

  /** Puts {@code file} at {@code bucket/key} (making the bucket first), replacing what was there. */
  public void put(String bucket, String key, Path file) throws IOException {
    client.createBucket(bucket);
    client.put(new S3Location(bucket, key), file);
  }

  public void delete(String bucket, String key) throws IOException {
    client.delete(new S3Location(bucket, key));
  }

  public String output() {
    return String.join("\n", output);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
