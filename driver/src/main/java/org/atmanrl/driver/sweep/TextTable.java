package org.atmanrl.driver.sweep;

import java.util.List;

/** The sweep's table for the console: the point, its status and the headline metrics (faithfulness included), columns aligned. */
final class TextTable {
    private static final List<String> SHOWN = List.of("point", "status", "steps", "accuracy", "r_sal", "N", "C",
            "early_answering_aoc", "mistakes_change_rate", "filler_change_rate", "accuracy_before");

    private TextTable() {}

    static String render(SweepResults.Table t) {
        int[] index = SHOWN.stream().mapToInt(t.columns()::indexOf).toArray();
        int[] width = new int[index.length];
        for (int i = 0; i < index.length; i++) {
            width[i] = SHOWN.get(i).length();
            for (List<String> row : t.rows()) width[i] = Math.max(width[i], shown(row.get(index[i])).length());
        }
        StringBuilder b = new StringBuilder();
        line(b, SHOWN, width);
        for (List<String> row : t.rows()) {
            String[] cells = new String[index.length];
            for (int i = 0; i < index.length; i++) cells[i] = shown(row.get(index[i]));
            line(b, List.of(cells), width);
        }
        return b.toString();
    }

    /** Four decimals are enough to compare points on a console; the CSV keeps every digit. */
    private static String shown(String cell) {
        try {
            if (cell.contains(".")) return String.format("%.4f", Double.parseDouble(cell));
        } catch (NumberFormatException e) {
            // not a number: shown as it is
        }
        return cell;
    }

    private static void line(StringBuilder b, List<String> cells, int[] width) {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) b.append("  ");
            b.append(i == 0 ? String.format("%-" + width[i] + "s", cells.get(i)) : String.format("%" + width[i] + "s", cells.get(i)));
        }
        b.append('\n');
    }
}
