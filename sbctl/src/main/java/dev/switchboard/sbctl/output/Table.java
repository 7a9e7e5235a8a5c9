package dev.switchboard.sbctl.output;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * kubectl's table layout: left-aligned columns, each as wide as its widest cell, three spaces
 * apart, the last column unpadded. A watch keeps the widths of the first table for later rows.
 */
public final class Table {
  private static final int GAP = 3;

  private final List<List<String>> rows = new ArrayList<>();
  private int[] widths;

  public Table(List<String> header) {
    rows.add(header);
  }

  public void add(List<String> row) {
    rows.add(row);
    widths = null;
  }

  /** Header first, then the rows. */
  public List<List<String>> rows() {
    return rows;
  }

  public List<String> header() {
    return rows.get(0);
  }

  /** Prints the header and every row; with {@code noHeaders} only the rows. */
  public void print(PrintWriter out, boolean noHeaders) {
    int[] w = widths();
    for (int i = noHeaders ? 1 : 0; i < rows.size(); i++) {
      out.print(format(rows.get(i), w));
    }
    out.flush();
  }

  /** A row laid out with this table's column widths (a row after the first table, in a watch). */
  public String format(List<String> row) {
    return format(row, widths());
  }

  private int[] widths() {
    if (widths == null) {
      widths = new int[rows.get(0).size()];
      for (List<String> row : rows) {
        for (int i = 0; i < row.size() && i < widths.length; i++) {
          widths[i] = Math.max(widths[i], row.get(i).length());
        }
      }
    }
    return widths;
  }

  private static String format(List<String> row, int[] widths) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < row.size(); i++) {
      String cell = row.get(i);
      b.append(cell);
      if (i < row.size() - 1) {
        b.append(" ".repeat(Math.max(widths[i] - cell.length(), 0) + GAP));
      }
    }
    return b.append('\n').toString();
  }
}
