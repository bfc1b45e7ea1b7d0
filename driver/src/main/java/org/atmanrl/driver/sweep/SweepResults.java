package org.atmanrl.driver.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atmanrl.driver.report.SweepPage;
import org.atmanrl.driver.spark.RunDirectory;
import org.atmanrl.model.io.JsonFiles;

/**
 * The sweep's table: one row per point in plan order, its grid values, status and, from its
 * summary.json, the run's steps and seconds and the evaluation after training (and the accuracy
 * before, for reference). When points differ only in their seed, also the table over seeds: per
 * group of them each metric's mean, sd and confidence interval ({@link SeedAggregate}). Written to
 * OUTPUT/results.csv, results_over_seeds.csv, results.json and results.html after every point.
 */
public final class SweepResults {
    /** The table over seeds, beside results.csv. */
    public static final String OVER_SEEDS_CSV = "results_over_seeds.csv";
    static final String CSV = "results.csv", JSON = "results.json", HTML = "results.html";
    /** Every file {@link #write} writes in OUTPUT. */
    static final java.util.List<String> FILES = java.util.List.of(CSV, OVER_SEEDS_CSV, JSON, HTML);

    /** Where a point stands. */
    public enum Status { PENDING, RUNNING, FINISHED, FAILED;

        String cell() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A point's state: its summary.json once finished, the failure's message once failed. */
    public record PointResult(Status status, JsonNode summary, String message) {
        public static final PointResult PENDING = new PointResult(Status.PENDING, null, null);
        public static final PointResult RUNNING = new PointResult(Status.RUNNING, null, null);
    }

    /** A column read from summary.json by a JSON pointer; absent or null leaves the cell empty. */
    private record Metric(String column, String pointer) {
    }

    /** summary.json's evaluation keys; faithfulness ones appear once evaluation reports them. */
    private static final List<Metric> METRICS = List.of(
            new Metric("accuracy", "/after/accuracy"),
            new Metric("r_sal", "/after/mean_saliency"),
            new Metric("N", "/after/mean_necessity"),
            new Metric("C", "/after/mean_coverage"),
            new Metric("S", "/after/mean_sufficiency"),
            new Metric("early_answering_aoc", "/after/faithfulness/early_answering/area_over_curve"),
            new Metric("mistakes_change_rate", "/after/faithfulness/adding_mistakes/change_rate"),
            new Metric("filler_change_rate", "/after/faithfulness/filler_tokens/change_rate"),
            new Metric("filler_accuracy", "/after/faithfulness/filler_tokens/accuracy"),
            new Metric("computing_cot", "/after/faithfulness/cot_use/computing_share"),
            new Metric("answer_from_cot", "/after/faithfulness/cot_use/answer_from_cot_share"),
            new Metric("laundering", "/after/faithfulness/cot_use/laundering_share"),
            new Metric("wrong_hint_follows_hint", "/after/faithfulness/biased_hint/follows_hint_share"),
            new Metric("wrong_hint_follows_cot", "/after/faithfulness/biased_hint/follows_cot_share"),
            new Metric("wrong_hint_accuracy", "/after/faithfulness/biased_hint/accuracy"),
            new Metric("right_hint_accuracy", "/after/faithfulness/biased_hint/right_hint_accuracy"),
            new Metric("accuracy_before", "/before/accuracy"),
            // before training too for these two probe results, as accuracy_before is for accuracy
            new Metric("computing_cot_before", "/before/faithfulness/cot_use/computing_share"),
            new Metric("wrong_hint_accuracy_before", "/before/faithfulness/biased_hint/accuracy"));
    private static final List<Metric> RUN = List.of(new Metric("steps", "/steps"), new Metric("seconds", "/seconds"));

    /** The table's columns, rows (every cell text, empty for unknown) and which columns are metrics to chart. */
    public record Table(List<String> columns, List<List<String>> rows, List<String> metricColumns) {
    }

    private final SweepPlan plan;
    private final SeedGroups seedGroups;
    private final PointResult[] results;

    public SweepResults(SweepPlan plan) {
        this.plan = plan;
        this.seedGroups = SeedGroups.of(plan);
        this.results = new PointResult[plan.points().size()];
        java.util.Arrays.fill(results, PointResult.PENDING);
    }

    public synchronized void set(int point, PointResult result) {
        results[point] = result;
    }

    public synchronized PointResult get(int point) {
        return results[point];
    }

    /**
     * The sweep as a table: the one place the HTML page gets its data from, e.g.
     * {@code Table t = results.table(); SweepPage.render(title, t.columns(), t.rows(), t.metricColumns())}.
     */
    public synchronized Table table() {
        List<String> columns = new ArrayList<>();
        columns.add("point");
        plan.grid().axes().forEach(a -> columns.add(a.key()));
        columns.add("status");
        RUN.forEach(m -> columns.add(m.column()));
        List<String> metricColumns = new ArrayList<>();
        METRICS.forEach(m -> metricColumns.add(m.column()));
        columns.addAll(metricColumns);
        columns.add("message");
        List<List<String>> rows = new ArrayList<>();
        for (SweepPlan.Point p : plan.points()) {
            PointResult r = results[p.index()];
            List<String> row = new ArrayList<>();
            row.add(p.name());
            p.values().forEach(v -> row.add(GridAxis.text(v)));
            row.add(r.status().cell());
            for (Metric m : RUN) row.add(cell(r.summary(), m));
            for (Metric m : METRICS) row.add(cell(r.summary(), m));
            row.add(r.message() == null ? "" : r.message());
            rows.add(List.copyOf(row));
        }
        return new Table(List.copyOf(columns), List.copyOf(rows), List.copyOf(metricColumns));
    }

    private static String cell(JsonNode summary, Metric m) {
        JsonNode v = summary == null ? null : summary.at(m.pointer());
        return v == null || v.isMissingNode() || v.isNull() ? "" : v.asText();
    }

    /** results.csv: the table with a header line, safe to open in a spreadsheet ({@link SpreadsheetCsv}). */
    public String csv() {
        Table t = table();
        return SpreadsheetCsv.write(t.columns(), t.rows());
    }

    /**
     * Each group of points that differ only in their seed, in the order of its first point, with the
     * statistics over its finished points; empty when {@link #overSeedsOmitted()}.
     */
    public synchronized List<SeedAggregate> overSeeds() {
        List<SeedAggregate> all = new ArrayList<>();
        for (SeedGroups.Group g : seedGroups.groups()) {
            List<PointResult> finished = new ArrayList<>();
            for (int p : g.points()) if (results[p].status() == Status.FINISHED) finished.add(results[p]);
            Map<String, MeanInterval> metrics = new LinkedHashMap<>();
            for (Metric m : METRICS) {
                List<Double> values = new ArrayList<>();
                for (PointResult r : finished) {
                    JsonNode v = r.summary().at(m.pointer());
                    // a number, as a cell shows it; what is not one (absent, null, NaN) is no value
                    if (v.isNumber() && Double.isFinite(v.doubleValue())) values.add(v.doubleValue());
                }
                metrics.put(m.column(), MeanInterval.of(values.stream().mapToDouble(Double::doubleValue).toArray()));
            }
            all.add(new SeedAggregate(g.name(), g.settings(), g.points().size(), finished.size(), metrics));
        }
        return all;
    }

    /** Why there is no table over seeds ("the grid has no seed key"), or null when there is one. */
    public String overSeedsOmitted() {
        return seedGroups.omitted();
    }

    /**
     * The table over seeds as results_over_seeds.csv and results.html hold it: group, the grid
     * values but seed's, seeds, finished, then per metric m its mean, sd, ci_low, ci_high and n
     * ({@link SweepPage.SeedTable}); null when {@link #overSeedsOmitted()}.
     */
    public SweepPage.SeedTable seedTable() {
        if (overSeedsOmitted() != null) return null;
        List<String> columns = new ArrayList<>();
        columns.add("group");
        seedGroups.settingAxes().forEach(a -> columns.add(a.key()));
        columns.add("seeds");
        columns.add("finished");
        List<String> metrics = METRICS.stream().map(Metric::column).toList();
        for (String m : metrics) for (String s : SweepPage.SeedTable.STATISTICS) columns.add(SweepPage.SeedTable.column(m, s));
        List<List<String>> rows = new ArrayList<>();
        for (SeedAggregate a : overSeeds()) {
            List<String> row = new ArrayList<>();
            row.add(a.group());
            a.settings().forEach(v -> row.add(GridAxis.text(v)));
            row.add(Integer.toString(a.seeds()));
            row.add(Integer.toString(a.finished()));
            for (MeanInterval i : a.metrics().values()) {
                row.add(cell(i.mean()));
                row.add(cell(i.sd()));
                row.add(cell(i.low()));
                row.add(cell(i.high()));
                row.add(Integer.toString(i.n()));
            }
            rows.add(row);
        }
        return new SweepPage.SeedTable(columns, rows, metrics);
    }

    /** A statistic too few values give is an empty cell, as an absent metric is. */
    private static String cell(Double statistic) {
        return statistic == null ? "" : Double.toString(statistic);
    }

    /** results_over_seeds.csv, safe to open in a spreadsheet as results.csv is; null when {@link #overSeedsOmitted()}. */
    public String seedCsv() {
        SweepPage.SeedTable t = seedTable();
        return t == null ? null : SpreadsheetCsv.write(t.columns(), t.rows());
    }

    /**
     * results.json: {@code points}, one object per point (numbers as numbers, the grid values as the
     * grid file gave them), and {@code aggregated}, one object per group of seeds as in
     * {@link #seedTable()} (empty when there is none).
     */
    public synchronized String json() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ArrayNode all = root.putArray("points");
        for (SweepPlan.Point p : plan.points()) {
            PointResult r = results[p.index()];
            ObjectNode o = all.addObject();
            o.put("point", p.name());
            ObjectNode values = o.putObject("values");
            for (int k = 0; k < p.values().size(); k++) values.set(plan.grid().axes().get(k).key(), p.values().get(k));
            o.put("status", r.status().cell());
            for (Metric m : RUN) o.set(m.column(), node(r.summary(), m));
            for (Metric m : METRICS) o.set(m.column(), node(r.summary(), m));
            if (r.message() != null) o.put("message", r.message());
        }
        ArrayNode aggregated = root.putArray("aggregated");
        for (SeedAggregate a : overSeeds()) {
            ObjectNode o = aggregated.addObject();
            o.put("group", a.group());
            ObjectNode values = o.putObject("values");
            for (int k = 0; k < a.settings().size(); k++) values.set(seedGroups.settingAxes().get(k).key(), a.settings().get(k));
            o.put("seeds", a.seeds());
            o.put("finished", a.finished());
            for (Map.Entry<String, MeanInterval> e : a.metrics().entrySet()) {
                MeanInterval i = e.getValue();
                o.put(SweepPage.SeedTable.column(e.getKey(), SweepPage.SeedTable.MEAN), i.mean());
                o.put(SweepPage.SeedTable.column(e.getKey(), SweepPage.SeedTable.SD), i.sd());
                o.put(SweepPage.SeedTable.column(e.getKey(), SweepPage.SeedTable.CI_LOW), i.low());
                o.put(SweepPage.SeedTable.column(e.getKey(), SweepPage.SeedTable.CI_HIGH), i.high());
                o.put(SweepPage.SeedTable.column(e.getKey(), SweepPage.SeedTable.N), i.n());
            }
        }
        return root.toPrettyString() + "\n";
    }

    private static JsonNode node(JsonNode summary, Metric m) {
        JsonNode v = summary == null ? null : summary.at(m.pointer());
        return v == null || v.isMissingNode() ? JsonNodeFactory.instance.nullNode() : v;
    }

    /**
     * The files (CSV, the CSV over seeds when there are several seeds per setting, JSON, and the
     * HTML page with sortable tables and charts), each under a temporary name and renamed.
     */
    public synchronized void write(RunDirectory sweep) throws IOException {
        sweep.write(CSV, csv().getBytes(StandardCharsets.UTF_8));
        String seedCsv = seedCsv();
        if (seedCsv != null) sweep.write(OVER_SEEDS_CSV, seedCsv.getBytes(StandardCharsets.UTF_8));
        sweep.write(JSON, json().getBytes(StandardCharsets.UTF_8));
        Table t = table();
        sweep.write(HTML, SweepPage.render("AtManRL sweep " + sweep.root().getName(), t.columns(), t.rows(),
                t.metricColumns(), seedTable()).getBytes(StandardCharsets.UTF_8));
    }

    /** A finished point's summary.json. */
    static JsonNode readSummary(byte[] bytes) throws IOException {
        return JsonFiles.MAPPER.readTree(bytes);
    }
}
