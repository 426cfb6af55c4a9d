package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EntityPathFilterTest {

  @Test
  void everythingMatchesAllEntitiesButNotProperties() {
    EntityPathFilter all = EntityPathFilter.parse("/**");
    assertTrue(all.matches("/obj1"));
    assertTrue(all.matches("/robot/joint_0"));
    assertTrue(all.matches("/"));
    assertFalse(all.matches("/__properties"));
    assertFalse(all.matches("/__properties/recording"));
  }

  @Test
  void namingPropertiesIncludesThem() {
    EntityPathFilter f = EntityPathFilter.parse("/** /__properties/**");
    assertTrue(f.matches("/__properties"));
    assertTrue(f.matches("/obj1"));
  }

  @Test
  void subtreeRuleMatchesThePathAndDescendantsOnly() {
    EntityPathFilter f = EntityPathFilter.parse("/robot/**");
    assertTrue(f.matches("/robot"));
    assertTrue(f.matches("/robot/joint_0"));
    assertFalse(f.matches("/robots"));
    assertFalse(f.matches("/obj1"));
  }

  @Test
  void exactRuleMatchesOnlyThatEntity() {
    EntityPathFilter f = EntityPathFilter.parse("/robot");
    assertTrue(f.matches("/robot"));
    assertFalse(f.matches("/robot/joint_0"));
  }

  @Test
  void mostSpecificRuleWins() {
    EntityPathFilter f = EntityPathFilter.parse("+/a/** -/a/b/** +/a/b/c");
    assertTrue(f.matches("/a"));
    assertTrue(f.matches("/a/x"));
    assertFalse(f.matches("/a/b"));
    assertFalse(f.matches("/a/b/d"));
    assertTrue(f.matches("/a/b/c"));
  }

  @Test
  void exactRuleBeatsSubtreeRuleOnTheSamePath() {
    EntityPathFilter f = EntityPathFilter.parse("-/a/** +/a");
    assertTrue(f.matches("/a"));
    assertFalse(f.matches("/a/b"));
  }

  @Test
  void laterRepeatOfARuleReplacesTheEarlierOne() {
    assertFalse(EntityPathFilter.parse("+/a -/a").matches("/a"));
    assertTrue(EntityPathFilter.parse("-/a +/a").matches("/a"));
  }

  @Test
  void whitespaceAfterTheSignAndNewlinesAreAllowed() {
    EntityPathFilter f = EntityPathFilter.parse("+ /**\n- /obj2");
    assertTrue(f.matches("/obj1"));
    assertFalse(f.matches("/obj2"));
  }

  @Test
  void backslashEscapesASpaceInAPath() {
    EntityPathFilter f = EntityPathFilter.parse("/my\\ robot/**");
    assertTrue(f.matches("/my robot/arm"));
    assertFalse(f.matches("/my"));
  }

  @Test
  void emptyExpressionMatchesNothing() {
    assertFalse(EntityPathFilter.parse("").matches("/a"));
  }

  @Test
  void loneSignIsAnError() {
    assertThrows(CatalogException.class, () -> EntityPathFilter.parse("+"));
  }
}
