package io.rrdflight.sql.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dataframe engine stands apart from the SQL planner: nothing in {@code io.rrdflight.sql.engine}
 * may refer to Calcite, so the engine can serve other front ends and Calcite can be swapped out.
 * Checked on the compiled classes: a class's constant pool names every class it refers to (imports,
 * fully qualified names, signatures), in the internal form {@code org/apache/calcite/...}.
 */
class EngineHasNoCalciteTest {
  private static final byte[] CALCITE = "org/apache/calcite/".getBytes(StandardCharsets.US_ASCII);

  @Test
  void noEngineClassRefersToCalcite() throws IOException, URISyntaxException {
    Path root = Path.of(ViewBatches.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path dir = root.resolve(ViewBatches.class.getPackageName().replace('.', '/'));
    List<Path> classes;
    try (Stream<Path> files = Files.list(dir)) {
      classes = files.filter(p -> p.toString().endsWith(".class")).sorted().toList();
    }
    assertFalse(classes.isEmpty(), "no compiled engine classes found in " + dir);
    List<String> offenders = classes.stream()
        .filter(EngineHasNoCalciteTest::refersToCalcite)
        .map(p -> p.getFileName().toString())
        .toList();
    assertEquals(List.of(), offenders, "engine classes that refer to org.apache.calcite");
  }

  private static boolean refersToCalcite(Path classFile) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(classFile);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + classFile, e);
    }
    outer:
    for (int i = 0; i + CALCITE.length <= bytes.length; i++) {
      for (int j = 0; j < CALCITE.length; j++) {
        if (bytes[i + j] != CALCITE[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
