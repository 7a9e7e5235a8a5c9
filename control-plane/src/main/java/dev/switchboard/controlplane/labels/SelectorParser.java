package dev.switchboard.controlplane.labels;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Kubernetes' label selector grammar ({@code k8s.io/apimachinery/pkg/labels.Parse}):
 *
 * <pre>
 *   selector    = [ requirement { "," requirement } ]
 *   requirement = [ "!" ] key
 *               | key ( "=" | "==" | "!=" ) [ value ]
 *               | key ( "in" | "notin" ) "(" [ value { "," value } ] ")"
 *               | key ( ">" | "<" ) integer
 * </pre>
 *
 * Whitespace separates tokens and is otherwise ignored; "in" and "notin" are keywords only where an
 * operator is expected. Errors read as Kubernetes' do: "found 'x', expected: ...".
 */
final class SelectorParser {
  private enum Kind {
    IDENTIFIER,
    NOT,
    EQUALS,
    DOUBLE_EQUALS,
    NOT_EQUALS,
    GREATER,
    LESS,
    OPEN,
    CLOSE,
    COMMA,
    END
  }

  private record Token(Kind kind, String text) {}

  private static final String OPERATORS = "in, notin, =, ==, !=, >, <";

  private final List<Token> tokens;
  private int position;

  private SelectorParser(String input) {
    this.tokens = lex(input);
  }

  static List<Requirement> parse(String input) {
    return new SelectorParser(input).selector();
  }

  private List<Requirement> selector() {
    List<Requirement> requirements = new ArrayList<>();
    if (peek().kind == Kind.END) {
      return requirements;
    }
    while (true) {
      Token t = peek();
      if (t.kind != Kind.IDENTIFIER && t.kind != Kind.NOT) {
        throw new IllegalArgumentException(
            "found '" + t.text + "', expected: !, identifier, or 'end of string'");
      }
      requirements.add(requirement());
      Token next = next();
      if (next.kind == Kind.END) {
        return requirements;
      }
      if (next.kind != Kind.COMMA) {
        throw new IllegalArgumentException(
            "found '" + next.text + "', expected: ',' or 'end of string'");
      }
      Token after = peek();
      if (after.kind != Kind.IDENTIFIER && after.kind != Kind.NOT) {
        throw new IllegalArgumentException(
            "found '" + after.text + "', expected: identifier after ','");
      }
    }
  }

  private Requirement requirement() {
    boolean negated = peek().kind == Kind.NOT;
    if (negated) {
      next();
    }
    Token key = next();
    if (key.kind != Kind.IDENTIFIER) {
      throw new IllegalArgumentException("found '" + key.text + "', expected: identifier");
    }
    Kind following = peek().kind;
    if (negated || following == Kind.END || following == Kind.COMMA) {
      if (negated && following != Kind.END && following != Kind.COMMA) {
        throw new IllegalArgumentException(
            "found '" + peek().text + "', expected: ',' or 'end of string'");
      }
      return Requirement.of(
          key.text, negated ? Operator.DOES_NOT_EXIST : Operator.EXISTS, List.of());
    }
    Token op = next();
    Operator operator =
        switch (op.kind) {
          case EQUALS -> Operator.EQUALS;
          case DOUBLE_EQUALS -> Operator.DOUBLE_EQUALS;
          case NOT_EQUALS -> Operator.NOT_EQUALS;
          case GREATER -> Operator.GREATER_THAN;
          case LESS -> Operator.LESS_THAN;
          case IDENTIFIER ->
              switch (op.text) {
                case "in" -> Operator.IN;
                case "notin" -> Operator.NOT_IN;
                default ->
                    throw new IllegalArgumentException(
                        "found '" + op.text + "', expected: " + OPERATORS);
              };
          default ->
              throw new IllegalArgumentException("found '" + op.text + "', expected: " + OPERATORS);
        };
    List<String> values =
        operator == Operator.IN || operator == Operator.NOT_IN ? valueSet() : exactValue();
    return Requirement.of(key.text, operator, values);
  }

  /** After =, ==, !=, >, <: one value, or nothing (the empty value) before ',' or the end. */
  private List<String> exactValue() {
    Kind following = peek().kind;
    if (following == Kind.END || following == Kind.COMMA) {
      return List.of("");
    }
    Token value = next();
    if (value.kind != Kind.IDENTIFIER) {
      throw new IllegalArgumentException("found '" + value.text + "', expected: identifier");
    }
    return List.of(value.text);
  }

  /** "(" values ")", where an empty slot (as in "(a,,b)" or "()") is the empty value. */
  private List<String> valueSet() {
    Token open = next();
    if (open.kind != Kind.OPEN) {
      throw new IllegalArgumentException("found '" + open.text + "', expected: '('");
    }
    Set<String> values = new LinkedHashSet<>();
    boolean expectValue = true;
    while (true) {
      Token t = next();
      switch (t.kind) {
        case IDENTIFIER -> {
          if (!expectValue) {
            throw new IllegalArgumentException("found '" + t.text + "', expected: ',' or ')'");
          }
          values.add(t.text);
          expectValue = false;
        }
        case COMMA -> {
          if (expectValue) {
            values.add("");
          }
          expectValue = true;
        }
        case CLOSE -> {
          if (expectValue) {
            values.add("");
          }
          return new ArrayList<>(values);
        }
        default ->
            throw new IllegalArgumentException(
                "found '" + t.text + "', expected: ',', ')' or identifier");
      }
    }
  }

  private Token peek() {
    return tokens.get(position);
  }

  private Token next() {
    Token t = tokens.get(position);
    if (t.kind != Kind.END) {
      position++;
    }
    return t;
  }

  private static boolean isSpecial(char c) {
    return c == '!' || c == '=' || c == '>' || c == '<' || c == '(' || c == ')' || c == ',';
  }

  private static List<Token> lex(String input) {
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    while (i < input.length()) {
      char c = input.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (isSpecial(c)) {
        String two = i + 1 < input.length() ? input.substring(i, i + 2) : "";
        if (two.equals("==") || two.equals("!=")) {
          tokens.add(new Token(two.equals("==") ? Kind.DOUBLE_EQUALS : Kind.NOT_EQUALS, two));
          i += 2;
          continue;
        }
        Kind kind =
            switch (c) {
              case '!' -> Kind.NOT;
              case '=' -> Kind.EQUALS;
              case '>' -> Kind.GREATER;
              case '<' -> Kind.LESS;
              case '(' -> Kind.OPEN;
              case ')' -> Kind.CLOSE;
              default -> Kind.COMMA;
            };
        tokens.add(new Token(kind, String.valueOf(c)));
        i++;
      } else {
        int start = i;
        while (i < input.length()
            && !Character.isWhitespace(input.charAt(i))
            && !isSpecial(input.charAt(i))) {
          i++;
        }
        tokens.add(new Token(Kind.IDENTIFIER, input.substring(start, i)));
      }
    }
    tokens.add(new Token(Kind.END, ""));
    return tokens;
  }
}
