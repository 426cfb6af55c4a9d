package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which entities a query selects, from a content expression such as {@code /**},
 * {@code /robot/**} or {@code +/a -/a/b}, with Rerun's rules: rules are separated by whitespace
 * (a backslash escapes a space), {@code -} excludes, {@code +} or no sign includes, {@code /p/**}
 * matches p and its descendants, {@code /p} only p; the most specific matching rule wins (the
 * longest path; an exact rule beats a subtree rule on the same path), and a repeated rule replaces
 * the earlier one. Unless a rule names {@code /__properties}, recording properties are excluded.
 */
public final class EntityPathFilter {
  private static final String PROPERTIES = "/__properties";

  /** One rule: the path's parts, whether it covers the subtree, whether it includes. */
  private record Rule(List<String> parts, boolean subtree) {
    boolean matches(List<String> entity) {
      if (subtree) {
        return entity.size() >= parts.size() && entity.subList(0, parts.size()).equals(parts);
      }
      return entity.equals(parts);
    }
  }

  private final Map<Rule, Boolean> rules;
  private final String expression;

  private EntityPathFilter(Map<Rule, Boolean> rules, String expression) {
    this.rules = rules;
    this.expression = expression;
  }

  /** Parses a content expression as Rerun's dataframe API does (including the properties rule). */
  public static EntityPathFilter parse(String expression) {
    requireNonNull(expression, "expression is null");
    Map<Rule, Boolean> rules = new LinkedHashMap<>();
    boolean mentionsProperties = false;
    List<String> tokens = splitRules(expression);
    for (int i = 0; i < tokens.size(); i++) {
      String token = tokens.get(i);
      boolean include = true;
      if (token.startsWith("+") || token.startsWith("-")) {
        include = token.charAt(0) == '+';
        token = token.substring(1).trim();
        if (token.isEmpty() && i + 1 < tokens.size()) {
          token = tokens.get(++i); // "+ /path": whitespace after the sign
        }
      }
      if (token.isEmpty()) {
        throw CatalogException.invalidArgument("Empty rule in content expression '" + expression + "'");
      }
      boolean subtree = token.equals("/**") || token.equals("**") || token.endsWith("/**");
      String path = subtree ? token.substring(0, token.length() - 2) : token;
      List<String> parts = parts(path);
      if (!parts.isEmpty() && parts.get(0).equals("__properties")) {
        mentionsProperties = true;
      }
      Rule rule = new Rule(parts, subtree);
      rules.remove(rule); // a repeated rule replaces the earlier one
      rules.put(rule, include);
    }
    if (!mentionsProperties) {
      rules.put(new Rule(List.of("__properties"), true), false);
    }
    return new EntityPathFilter(rules, expression);
  }

  /** True when the most specific rule matching {@code entityPath} includes it. */
  public boolean matches(String entityPath) {
    List<String> entity = parts(entityPath);
    Rule best = null;
    for (Rule rule : rules.keySet()) {
      if (rule.matches(entity) && (best == null || moreSpecific(rule, best))) {
        best = rule;
      }
    }
    return best != null && rules.get(best);
  }

  private static boolean moreSpecific(Rule a, Rule b) {
    if (a.parts.size() != b.parts.size()) {
      return a.parts.size() > b.parts.size();
    }
    return !a.subtree && b.subtree;
  }

  /** Entity path parts; {@code /a/b}, {@code a/b} and {@code /a/b/} are the same path. */
  static List<String> parts(String path) {
    List<String> out = new ArrayList<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty()) {
        out.add(part);
      }
    }
    return out;
  }

  /** Splits on whitespace, except whitespace escaped with a backslash (kept, without the backslash). */
  private static List<String> splitRules(String expression) {
    List<String> tokens = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (int i = 0; i < expression.length(); i++) {
      char c = expression.charAt(i);
      if (c == '\\' && i + 1 < expression.length() && Character.isWhitespace(expression.charAt(i + 1))) {
        current.append(expression.charAt(++i));
      } else if (Character.isWhitespace(c)) {
        if (current.length() > 0) {
          tokens.add(current.toString());
          current.setLength(0);
        }
      } else {
        current.append(c);
      }
    }
    if (current.length() > 0) {
      tokens.add(current.toString());
    }
    return tokens;
  }

  @Override
  public String toString() {
    return expression;
  }
}
