package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up output, shutdown on signals, and a port that is taken, on the real server process. */
class ServerLifecycleIT {

  @Test
  void printsAddressesThenReadyAndStopsCleanlyOnSigterm(@TempDir Path dataDir) throws Exception {
    ServerProcess server = ServerProcess.start(dataDir);
    String out = server.output();
    assertTrue(out.contains("listening on 127.0.0.1:" + server.port()), out);
    assertTrue(out.contains("rerun+http://127.0.0.1:" + server.port()), out);
    assertTrue(out.contains("jdbc:arrow-flight-sql://127.0.0.1:" + server.port()), out);
    int exit = server.stop();
    // 143 = terminated by SIGTERM after the shutdown hook ran; the hook's line shows it ran.
    assertTrue(exit == 0 || exit == 143, "exit code " + exit);
    assertTrue(server.output().contains("rrdflight: stopping"), server.output());
    assertFalse(server.output().contains("Exception"), server.output());
  }

  @Test
  void portInUseIsAClearErrorWithoutStackTrace(@TempDir Path dataDir, @TempDir Path otherDataDir) throws Exception {
    try (ServerProcess first = ServerProcess.start(dataDir)) {
      // Another data dir: a second server on the same one stops earlier, at the data dir's lock.
      Process second = new ProcessBuilder(List.of(ServerProcess.javaBinary(), "-jar", ServerProcess.jar().toString(),
          "server", "--port", String.valueOf(first.port()), "--data-dir", otherDataDir.toString()))
          .redirectErrorStream(true).start();
      assertTrue(second.waitFor(60, TimeUnit.SECONDS), "second server did not exit");
      String out = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(1, second.exitValue(), out);
      assertTrue(out.contains("cannot listen on 127.0.0.1:" + first.port()), out);
      assertFalse(out.contains("\tat "), out);
    }
  }
}
