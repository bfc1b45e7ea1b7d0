package org.atmanrl.driver.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A sweep's results as one self-contained HTML page: a table sortable by any column (click its
 * header), then one bar chart per metric column over the sweep's points. Works offline, as run
 * reports do ({@link HtmlPage}).
 */
public final class SweepPage {
    private SweepPage() {
    }

    /**
     * The page. Each row has one value per column; a metric column's values are numbers (a blank
     * or non-numeric one is drawn as a gap and sorted last). A bar's label is the row's values in
     * the non-metric columns (the point's settings), or its row number when there are none.
     *
     * @throws IllegalArgumentException for a row of the wrong width or a metric column that is not a column
     */
    public static String render(String title, List<String> columns, List<List<String>> rows, List<String> metricColumns) {
        if (columns.isEmpty()) throw new IllegalArgumentException("a sweep page needs at least one column");
        for (int r = 0; r < rows.size(); r++) {
            if (rows.get(r).size() != columns.size()) {
                throw new IllegalArgumentException("row " + r + " has " + rows.get(r).size() + " values for "
                        + columns.size() + " columns");
            }
        }
        List<Integer> metrics = new ArrayList<>();
        for (String m : metricColumns) {
            int at = columns.indexOf(m);
            if (at < 0) throw new IllegalArgumentException("metric column '" + m + "' is not one of " + columns);
            metrics.add(at);
        }
        HtmlPage page = new HtmlPage(title);
        page.note(rows.size() + " points; click a column header to sort by it.");
        StringBuilder t = new StringBuilder("<table class=\"data sortable\"><thead><tr>");
        for (int c = 0; c < columns.size(); c++) {
            t.append("<th").append(metrics.contains(c) ? " data-numeric" : "").append('>')
                    .append(HtmlPage.escape(columns.get(c))).append("</th>");
        }
        t.append("</tr></thead><tbody>");
        for (List<String> row : rows) {
            t.append("<tr>");
            for (int c = 0; c < columns.size(); c++) {
                String v = row.get(c) == null ? "" : row.get(c);
                t.append("<td").append(metrics.contains(c) ? " class=\"num\"" : "").append(" data-v=\"")
                        .append(HtmlPage.escape(v)).append("\">").append(HtmlPage.escape(shown(v))).append("</td>");
            }
            t.append("</tr>");
        }
        page.section("Results").html(t.append("</tbody></table>").toString());
        if (!metrics.isEmpty() && !rows.isEmpty()) {
            List<String> labels = new ArrayList<>();
            for (int r = 0; r < rows.size(); r++) labels.add(label(columns, rows.get(r), metrics, r));
            page.section("Metrics").openCharts();
            for (int c : metrics) {
                double[] x = new double[rows.size()], y = new double[rows.size()];
                for (int r = 0; r < rows.size(); r++) {
                    x[r] = r;
                    y[r] = number(rows.get(r).get(c));
                }
                page.chart(columns.get(c), Charts.bars(labels, null, columns.get(c),
                        List.of(new Charts.Series(columns.get(c), x, y)), false));
            }
            page.closeCharts();
        }
        return page.render();
    }

    /** A bar's label: the row's first cell (a sweep's point name), or its number when that is a metric or empty. */
    private static String label(List<String> columns, List<String> row, List<Integer> metrics, int r) {
        String name = row.get(0);
        return metrics.contains(0) || name == null || name.isBlank() ? "#" + (r + 1) : name;
    }

    /** A decimal shown to 4 significant digits, so that the table fits; sorting uses the full value in data-v. */
    private static String shown(String v) {
        if (!v.contains(".")) return v;
        double d = number(v);
        return Double.isNaN(d) ? v : String.format(java.util.Locale.ROOT, "%.4g", d);
    }

    private static double number(String v) {
        if (v == null || v.isBlank()) return Double.NaN;
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
