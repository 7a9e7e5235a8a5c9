package dev.switchboard.sbctl;

/** {@code sbctl}'s entry point (see {@code bin/sbctl}). */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(Sbctl.run(Terminal.system(), args));
  }
}
