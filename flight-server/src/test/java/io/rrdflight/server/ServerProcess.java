package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code rrdflight server} process, started from the runnable jar on an ephemeral port,
 * the way users run it. Output is kept for assertions and failure messages.
 */
public final class ServerProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on ([^\\s:]+):(\\d+)");

  private final Process process;
  private final List<String> output;
  private final Thread pump;
  private final int port;

  private ServerProcess(Process process, List<String> output, Thread pump, int port) {
    this.process = process;
    this.output = output;
    this.pump = pump;
    this.port = port;
  }

  public static Path jar() {
    String jar = requireNonNull(System.getProperty("rrdflight.jar"), "system property rrdflight.jar is not set (run with mvn verify)");
    Path path = Path.of(jar);
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("runnable jar missing: " + path + " (run mvn package first)");
    }
    return path;
  }

  /** JVM flags of a server started without any: a heap of 1 GB. */
  public static final List<String> DEFAULT_JVM_FLAGS = List.of("-Xmx1g");

  /** Starts {@code rrdflight server --port 0 --data-dir DATA ARGS...} and waits for its ready line. */
  public static ServerProcess start(Path dataDir, String... args) throws IOException, InterruptedException, TimeoutException {
    return start(DEFAULT_JVM_FLAGS, dataDir, args);
  }

  /** As {@link #start(Path, String...)}, with {@code jvmFlags} (e.g. {@code -Xmx200m}) instead of the defaults. */
  public static ServerProcess start(List<String> jvmFlags, Path dataDir, String... args)
      throws IOException, InterruptedException, TimeoutException {
    return start(jvmFlags, java.util.Map.of(), dataDir, args);
  }

  /** As {@link #start(List, Path, String...)}, with {@code env} added to the server's environment (e.g. AWS credentials). */
  public static ServerProcess start(List<String> jvmFlags, java.util.Map<String, String> env, Path dataDir, String... args)
      throws IOException, InterruptedException, TimeoutException {
    List<String> command = new ArrayList<>(List.of(javaBinary(), "--add-opens=java.base/java.nio=ALL-UNNAMED"));
    command.addAll(classDataArchive());
    command.addAll(jvmFlags);
    command.addAll(List.of("-jar", jar().toString(), "server", "--port", "0", "--data-dir", dataDir.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Integer> ready = new CompletableFuture<>();
    Thread pump = new Thread(() -> {
      Integer port = null;
      try {
        for (String line; (line = reader.readLine()) != null; ) {
          seen.add(line);
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            port = Integer.parseInt(m.group(2));
          }
          if (line.equals("rrdflight ready")) {
            ready.complete(port);
          }
        }
      } catch (IOException e) {
        // The process ended; the exit is reported below.
      }
      ready.completeExceptionally(new IllegalStateException("server exited before it was ready:\n" + String.join("\n", seen)));
    }, "server-output");
    pump.setDaemon(true);
    pump.start();
    try {
      int port = ready.get(60, TimeUnit.SECONDS);
      return new ServerProcess(process, seen, pump, port);
    } catch (java.util.concurrent.ExecutionException e) {
      process.destroyForcibly();
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      process.destroyForcibly();
      throw new TimeoutException("server not ready after 60 s:\n" + String.join("\n", seen));
    }
  }

  public int port() {
    return port;
  }

  public String jdbcUrl() {
    return "jdbc:arrow-flight-sql://127.0.0.1:" + port + "/?useEncryption=false";
  }

  /** Everything the server printed so far (stdout and stderr). */
  public String output() {
    synchronized (output) {
      return String.join("\n", output);
    }
  }

  public Process process() {
    return process;
  }

  /** Sends SIGTERM and returns the exit code. */
  public int stop() throws InterruptedException {
    // Through the handle: Process.destroy() would also close our end of the output pipe, losing
    // what the server prints while it stops.
    process.toHandle().destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("server did not stop within 20 s of SIGTERM");
    }
    pump.join(5_000); // the last lines the server printed
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      stop();
    }
  }

  /**
   * The flags that start the server from the class-data archive the build made with the jar (as
   * scripts/rrdflight does): none when there is none or it is older than the jar. Servers start in
   * half the time, and every test using this class runs against the archived start.
   */
  static List<String> classDataArchive() {
    Path archive = jar().resolveSibling("rrdflight.jsa");
    try {
      if (Files.isRegularFile(archive) && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar())) > 0) {
        return List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
      }
    } catch (IOException e) {
      // No archive then: the server starts from the jar alone.
    }
    return List.of();
  }

  /** What one run of the jar's CLI printed. */
  public record CliResult(int exitCode, String out, String err) {
    /** The last line of stdout: what {@code token create} prints the token as. */
    public String lastLine() {
      List<String> lines = out.lines().toList();
      return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }
  }

  /** Runs {@code rrdflight ARGS...} from the jar as its own process, with {@code stdin} as its input. */
  public static CliResult cli(String stdin, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(javaBinary(), "--add-opens=java.base/java.nio=ALL-UNNAMED", "-jar", jar().toString()));
    command.addAll(List.of(args));
    Path err = Files.createTempFile("rrdflight-cli-", ".err");
    try {
      Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
      try (var in = process.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("rrdflight " + String.join(" ", args) + " did not finish within 60 s");
      }
      return new CliResult(process.exitValue(), out, Files.readString(err));
    } finally {
      Files.deleteIfExists(err);
    }
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
