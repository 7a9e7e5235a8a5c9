package dev.switchboard.controlplane.labels;

/** The operators of a label selector requirement, with the text that spells them. */
public enum Operator {
  EQUALS("="),
  DOUBLE_EQUALS("=="),
  NOT_EQUALS("!="),
  IN("in"),
  NOT_IN("notin"),
  /** A bare key: the label is present, whatever its value. */
  EXISTS(""),
  /** {@code !key}: the label is absent. */
  DOES_NOT_EXIST("!"),
  /** {@code key>N}: the value is an integer greater than N. */
  GREATER_THAN(">"),
  /** {@code key<N}: the value is an integer less than N. */
  LESS_THAN("<");

  private final String symbol;

  Operator(String symbol) {
    this.symbol = symbol;
  }

  public String symbol() {
    return symbol;
  }
}
