package org.atmanrl.driver.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A sweep's results as one self-contained HTML page: a table sortable by any column (click its
 * header), then one bar chart per metric column over the sweep's points; when the sweep has
 * several seeds per setting, the same over seeds: a table of means with their confidence
 * intervals and a chart per metric of the means beside their intervals. Works offline, as run
 * reports do ({@link HtmlPage}).
 */
public final class SweepPage {
    /**
     * A sweep's points aggregated over seeds, one row per group of points that differ only in their
     * seed: the group's own columns (its name first, then its settings and counts), and for each
     * metric {@code m} the columns {@code m_mean}, {@code m_sd}, {@code m_ci_low}, {@code m_ci_high}
     * and {@code m_n} ({@link #column}). A blank cell is a statistic the group has too few values for.
     */
    public record SeedTable(List<String> columns, List<List<String>> rows, List<String> metrics) {
        public static final String MEAN = "mean", SD = "sd", CI_LOW = "ci_low", CI_HIGH = "ci_high", N = "n";
        public static final List<String> STATISTICS = List.of(MEAN, SD, CI_LOW, CI_HIGH, N);

        /**
         * @throws IllegalArgumentException for a row of the wrong width or a metric without its five columns
         */
        public SeedTable {
            columns = List.copyOf(columns);
            rows = rows.stream().map(r -> r.stream().map(c -> c == null ? "" : c).toList()).toList();
            metrics = List.copyOf(metrics);
            if (columns.isEmpty()) throw new IllegalArgumentException("a seed table needs at least one column");
            for (int r = 0; r < rows.size(); r++) {
                if (rows.get(r).size() != columns.size()) {
                    throw new IllegalArgumentException("seed table row " + r + " has " + rows.get(r).size()
                            + " values for " + columns.size() + " columns");
                }
            }
            for (String m : metrics) {
                for (String s : STATISTICS) {
                    if (!columns.contains(column(m, s))) {
                        throw new IllegalArgumentException("seed table: metric '" + m + "' has no column " + column(m, s));
                    }
                }
            }
        }

        /** A statistic's column, e.g. {@code accuracy_ci_low}. */
        public static String column(String metric, String statistic) {
            return metric + "_" + statistic;
        }

        double value(int row, String metric, String statistic) {
            return number(rows.get(row).get(columns.indexOf(column(metric, statistic))));
        }

        /** The columns that are no metric's statistic: the group's name, settings and counts. */
        List<Integer> groupColumns() {
            List<String> statistics = new ArrayList<>();
            for (String m : metrics) for (String s : STATISTICS) statistics.add(column(m, s));
            List<Integer> own = new ArrayList<>();
            for (int c = 0; c < columns.size(); c++) if (!statistics.contains(columns.get(c))) own.add(c);
            return own;
        }
    }

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
        return render(title, columns, rows, metricColumns, null);
    }

    /**
     * The page, followed by a section over seeds when {@code overSeeds} is not null: its table, each
     * metric's cell the mean &plusmn; the interval's half-width (n, sd and the interval on hovering), and a
     * chart per metric of each group's mean (a bar) beside its interval (a bar from low to high).
     * Metrics without a mean in any group are left out of that section.
     *
     * @throws IllegalArgumentException for a row of the wrong width or a metric column that is not a column
     */
    public static String render(String title, List<String> columns, List<List<String>> rows, List<String> metricColumns,
                                SeedTable overSeeds) {
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
        if (overSeeds != null) seedSection(page, overSeeds);
        return page.render();
    }

    private static void seedSection(HtmlPage page, SeedTable s) {
        List<String> shown = new ArrayList<>();
        for (String m : s.metrics()) {
            for (int r = 0; r < s.rows().size(); r++) {
                if (!Double.isNaN(s.value(r, m, SeedTable.MEAN))) {
                    shown.add(m);
                    break;
                }
            }
        }
        List<Integer> own = s.groupColumns();
        page.section("Aggregated over seeds");
        page.note(s.rows().size() + " groups of points that differ only in their seed. Per metric: the mean over a group's"
                + " finished points \u00b1 the half-width of the 95% confidence interval for the mean, t(0.975, n-1) sd / sqrt(n)"
                + " (Student's t, sample sd); a single finished point gives its value and no interval. Hover a cell for n, sd"
                + " and the interval.");
        StringBuilder t = new StringBuilder("<table class=\"data sortable\"><thead><tr>");
        for (int c : own) t.append("<th>").append(HtmlPage.escape(s.columns().get(c))).append("</th>");
        for (String m : shown) t.append("<th data-numeric>").append(HtmlPage.escape(m)).append("</th>");
        t.append("</tr></thead><tbody>");
        for (int r = 0; r < s.rows().size(); r++) {
            t.append("<tr>");
            for (int c : own) {
                String v = s.rows().get(r).get(c);
                t.append("<td data-v=\"").append(HtmlPage.escape(v)).append("\">").append(HtmlPage.escape(shown(v))).append("</td>");
            }
            for (String m : shown) t.append(estimateCell(s, r, m));
            t.append("</tr>");
        }
        page.html(t.append("</tbody></table>").toString());
        if (shown.isEmpty() || s.rows().isEmpty()) return;
        List<String> labels = new ArrayList<>();
        for (int r = 0; r < s.rows().size(); r++) labels.add(label(s.columns(), s.rows().get(r), List.of(), r));
        page.section("Means over seeds, with 95% confidence intervals").openCharts();
        for (String m : shown) {
            int groups = s.rows().size();
            double[] mean = new double[groups], low = new double[groups], high = new double[groups];
            for (int r = 0; r < groups; r++) {
                mean[r] = s.value(r, m, SeedTable.MEAN);
                low[r] = s.value(r, m, SeedTable.CI_LOW);
                high[r] = s.value(r, m, SeedTable.CI_HIGH);
            }
            page.chart(m + " over seeds", Charts.meansWithIntervals(labels, m, mean, low, high));
        }
        page.closeCharts();
    }

    /** 0.6000 &plusmn; 0.2484, sorted by the mean; the half-width is half the interval the table holds. */
    private static String estimateCell(SeedTable s, int r, String m) {
        double mean = s.value(r, m, SeedTable.MEAN), low = s.value(r, m, SeedTable.CI_LOW), high = s.value(r, m, SeedTable.CI_HIGH);
        String meanText = s.rows().get(r).get(s.columns().indexOf(SeedTable.column(m, SeedTable.MEAN)));
        StringBuilder b = new StringBuilder("<td class=\"num\" data-v=\"").append(HtmlPage.escape(meanText)).append('"');
        if (Double.isNaN(mean)) return b.append("></td>").toString();
        String n = s.rows().get(r).get(s.columns().indexOf(SeedTable.column(m, SeedTable.N)));
        String title = "n = " + n;
        if (!Double.isNaN(low) && !Double.isNaN(high)) {
            title += ", sd " + significant(s.value(r, m, SeedTable.SD)) + ", 95% CI [" + significant(low) + ", "
                    + significant(high) + "]";
        }
        b.append(" title=\"").append(HtmlPage.escape(title)).append("\">").append(HtmlPage.escape(significant(mean)));
        if (!Double.isNaN(low) && !Double.isNaN(high)) b.append(" &plusmn; ").append(HtmlPage.escape(significant((high - low) / 2)));
        return b.append("</td>").toString();
    }

    private static String significant(double d) {
        return String.format(java.util.Locale.ROOT, "%.4g", d);
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
        return Double.isNaN(d) ? v : significant(d);
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
