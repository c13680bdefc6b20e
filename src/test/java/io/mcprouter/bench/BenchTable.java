package io.mcprouter.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the rows {@link LoadGenerator} printed during a {@code bench/run.sh} run into the final
 * table: each configuration (label, target, sessions) was run one or more times, and the run with
 * the median throughput stands for it. Then one line per row: its p50 against the stdio floors'
 * with as many sessions (target stdio; with many sessions there are two: one process per session,
 * and one process for all, whose label says "one process"), and its throughput and server CPU per
 * call against the best peer on the same transport and session count (best: the highest throughput
 * with no error and no mismatch, among the rows whose label does not start with "mcprouter"). Lines
 * that start with "note " are kept with the row before them and printed for the median runs.
 *
 * <pre>java io.mcprouter.bench.BenchTable rows.md</pre>
 */
public final class BenchTable {

  static final String HEADER =
      "| label | target | sessions | calls each | payload | calls/s | p50 µs | p90 µs | p99 µs | max µs"
          + " | errors | mismatched | server CPU µs/call | server RSS MiB | generator CPU |";

  private BenchTable() {}

  /** One generator row. */
  record Row(
      String line,
      String label,
      String target,
      int sessions,
      double callsPerSecond,
      double p50,
      long errors,
      long mismatched,
      double cpuPerCall,
      List<String> notes) {

    String key() {
      return label + "|" + target + "|" + sessions;
    }

    boolean isFloor() {
      return target.equals("stdio");
    }

    boolean isPeer() {
      return !isFloor() && !label.startsWith("mcprouter");
    }

    boolean clean() {
      return errors == 0 && mismatched == 0;
    }

    String name() {
      return label + " (" + target + ", " + sessions + (sessions == 1 ? " session)" : " sessions)");
    }

    static Row parse(String line) {
      String[] cells = line.trim().split("\\|");
      // cells[0] is the empty string before the first '|'
      List<String> c = new ArrayList<>();
      for (int i = 1; i < cells.length; i++) {
        c.add(cells[i].trim());
      }
      return new Row(
          line.trim(),
          c.get(0),
          c.get(1),
          Integer.parseInt(c.get(2)),
          number(c.get(5)),
          number(c.get(6)),
          (long) number(c.get(10)),
          (long) number(c.get(11)),
          number(c.get(12)),
          new ArrayList<>());
    }

    private static double number(String cell) {
      try {
        return Double.parseDouble(cell.replace("%", ""));
      } catch (NumberFormatException notANumber) {
        return Double.NaN;
      }
    }
  }

  public static void main(String[] args) throws IOException {
    Map<String, List<Row>> runs = new LinkedHashMap<>();
    Row last = null;
    for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
      if (line.startsWith("| ") && !line.startsWith("| label") && !line.startsWith("|---")) {
        last = Row.parse(line);
        runs.computeIfAbsent(last.key(), k -> new ArrayList<>()).add(last);
      } else if (line.startsWith("note ") && last != null) {
        last.notes().add(line.substring(5));
      }
    }
    List<Row> rows = new ArrayList<>();
    for (List<Row> same : runs.values()) {
      List<Row> sorted = new ArrayList<>(same);
      sorted.sort(Comparator.comparingDouble(Row::callsPerSecond));
      rows.add(sorted.get((sorted.size() - 1) / 2));
    }

    System.out.println(HEADER);
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (Row row : rows) {
      System.out.println(row.line());
    }
    System.out.println();
    System.out.println(
        "Ratios (p50 and calls/s against the stdio floors with as many sessions; calls/s and server CPU per call"
            + " against the best peer on the same transport and session count: highest calls/s with no error and no mismatch):");
    System.out.println();
    for (Row row : rows) {
      if (row.isFloor()) {
        continue;
      }
      StringBuilder line = new StringBuilder("- ").append(row.name()).append(": ");
      List<Row> floors =
          rows.stream()
              .filter(r -> r.isFloor() && r.sessions() == row.sessions() && r.p50() > 0)
              .toList();
      if (floors.isEmpty()) {
        line.append("no floor with as many sessions");
      }
      for (int i = 0; i < floors.size(); i++) {
        Row floor = floors.get(i);
        line.append(i == 0 ? "" : "; ")
            .append(
                String.format(
                    Locale.ROOT,
                    "p50 %.1f× and calls/s %.2f× ",
                    row.p50() / floor.p50(),
                    row.callsPerSecond() / floor.callsPerSecond()))
            .append(
                floors.size() == 1
                    ? "the floor's"
                    : floor.label().contains("one process")
                        ? "the one-process floor's"
                        : "the process-per-session floor's");
      }
      Row best =
          rows.stream()
              .filter(
                  r ->
                      r.isPeer()
                          && r.clean()
                          && r.target().equals(row.target())
                          && r.sessions() == row.sessions())
              .max(Comparator.comparingDouble(Row::callsPerSecond))
              .orElse(null);
      if (best == null) {
        line.append("; no peer without errors on this transport and session count");
      } else if (best == row) {
        line.append("; the best peer here");
      } else {
        line.append(
            String.format(
                Locale.ROOT,
                "; against %s: calls/s %.2f×",
                best.label(),
                row.callsPerSecond() / best.callsPerSecond()));
        if (!Double.isNaN(row.cpuPerCall()) && best.cpuPerCall() > 0) {
          line.append(
              String.format(Locale.ROOT, ", CPU/call %.2f×", row.cpuPerCall() / best.cpuPerCall()));
        }
      }
      if (!row.clean()) {
        line.append(
            String.format(
                Locale.ROOT, " — %d errors, %d mismatched", row.errors(), row.mismatched()));
      }
      System.out.println(line);
    }
    boolean anyNotes = rows.stream().anyMatch(r -> !r.notes().isEmpty());
    if (anyNotes) {
      System.out.println();
      System.out.println(
          "Notes (median runs; tree = the server process and its descendants, at the end of the measured window):");
      System.out.println();
      for (Row row : rows) {
        for (String note : row.notes()) {
          System.out.println("- " + note);
        }
      }
    }
  }
}
