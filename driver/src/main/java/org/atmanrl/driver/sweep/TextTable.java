package org.atmanrl.driver.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The sweep's tables for the console, columns aligned: per point its status and the headline
 * metrics (faithfulness included), and over seeds per group the same metrics' means with the
 * half-widths of their confidence intervals.
 */
final class TextTable {
    private static final List<String> METRICS = List.of("accuracy", "r_sal", "N", "C", "early_answering_aoc",
            "mistakes_change_rate", "filler_change_rate", "accuracy_before");
    private static final List<String> SHOWN = Stream.concat(Stream.of("point", "status", "steps"),
            METRICS.stream()).toList();

    private TextTable() {}

    static String render(SweepResults.Table t) {
        int[] index = SHOWN.stream().mapToInt(t.columns()::indexOf).toArray();
        List<List<String>> rows = new ArrayList<>();
        for (List<String> row : t.rows()) {
            List<String> cells = new ArrayList<>();
            for (int i : index) cells.add(shown(row.get(i)));
            rows.add(cells);
        }
        return aligned(SHOWN, rows);
    }

    /** Per group: its name, finished/all seeds, and each metric as "mean +- half-width" (the mean alone from one seed). */
    static String renderOverSeeds(List<SeedAggregate> groups) {
        List<String> header = new ArrayList<>(List.of("group", "seeds"));
        header.addAll(METRICS);
        List<List<String>> rows = new ArrayList<>();
        for (SeedAggregate g : groups) {
            List<String> cells = new ArrayList<>(List.of(g.group(), g.finished() + "/" + g.seeds()));
            for (String m : METRICS) {
                MeanInterval i = g.metrics().get(m);
                cells.add(i.mean() == null ? "" : i.halfWidth() == null ? decimals(i.mean())
                        : decimals(i.mean()) + " +- " + decimals(i.halfWidth()));
            }
            rows.add(cells);
        }
        return aligned(header, rows);
    }

    /** Four decimals are enough to compare points on a console; the CSV keeps every digit. */
    private static String shown(String cell) {
        try {
            if (cell.contains(".")) return decimals(Double.parseDouble(cell));
        } catch (NumberFormatException e) {
            // not a number: shown as it is
        }
        return cell;
    }

    private static String decimals(double d) {
        return String.format("%.4f", d);
    }

    private static String aligned(List<String> header, List<List<String>> rows) {
        int[] width = new int[header.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = header.get(i).length();
            for (List<String> row : rows) width[i] = Math.max(width[i], row.get(i).length());
        }
        StringBuilder b = new StringBuilder();
        line(b, header, width);
        for (List<String> row : rows) line(b, row, width);
        return b.toString();
    }

    private static void line(StringBuilder b, List<String> cells, int[] width) {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) b.append("  ");
            b.append(i == 0 ? String.format("%-" + width[i] + "s", cells.get(i)) : String.format("%" + width[i] + "s", cells.get(i)));
        }
        b.append('\n');
    }
}
