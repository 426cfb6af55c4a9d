package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.rrdflight.catalog.PostgresCluster.Database;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The test helper itself: each test gets a database of its own, and a test class's databases are gone when it ends. */
@ExtendWith(PostgresCluster.class)
class PostgresClusterTest {
  /** The databases the nested class was given, and one connection left open to one of them, as a server under test may leave it. */
  static final List<String> given = new CopyOnWriteArrayList<>();
  static final List<Connection> leftOpen = new CopyOnWriteArrayList<>();

  @Nested
  class ATestClassWithDatabases {
    @Test
    void eachParameterIsADatabaseOfItsOwn(Database a, Database b) throws Exception {
      assertNotEquals(a.name(), b.name());
      given.add(a.name());
      given.add(b.name());
      leftOpen.add(DriverManager.getConnection(a.url()));
    }

    @Test
    void aConstructorOrMethodOfAnotherTestGetsAnotherOne(Database c) {
      given.add(c.name());
    }
  }

  /** Runs after the nested class ended (and JUnit closed what it made for it). */
  @AfterAll
  static void theDatabasesOfATestClassAreDroppedWhenItEnds(Database probe) throws Exception {
    assertEquals(3, given.size(), "the nested tests ran: " + given);
    try (Connection c = DriverManager.getConnection(probe.url());
        PreparedStatement p = c.prepareStatement("SELECT datname FROM pg_database WHERE datname = ANY (?)")) {
      Array names = c.createArrayOf("text", given.toArray());
      p.setArray(1, names);
      List<String> left = new ArrayList<>();
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          left.add(rs.getString(1));
        }
      }
      assertEquals(List.of(), left, "databases still there after their test class ended");
    } finally {
      for (Connection open : leftOpen) {
        open.close();
      }
    }
  }
}
