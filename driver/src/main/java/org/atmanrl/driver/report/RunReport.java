package org.atmanrl.driver.report;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.spark.RunDirectory;
import org.atmanrl.driver.spark.RunStatus;
import org.atmanrl.executor.eval.SaliencySamples;
import org.atmanrl.model.io.HadoopFiles;

/**
 * A training run directory read for its report, and the report as one HTML page: training
 * curves from metrics.jsonl, the evaluation points, the before/after table (with any further
 * measures, such as faithfulness, found in summary.json), saliency heat maps and the resolved
 * config. Malformed input is one line naming the file, line and field.
 */
public final class RunReport {
    private static final long METRICS_LIMIT = 256L << 20, SMALL_LIMIT = 16L << 20;
    /** metrics.jsonl may hold NaN (a skipped update's gradient norm): read it as a gap, not an error. */
    private static final JsonMapper LENIENT = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /** The charts drawn from metrics.jsonl: caption, y axis, and the keys (dotted for nested ones) of its lines. */
    private record Curve(String caption, String yTitle, List<String> keys) {
    }

    private static final List<Curve> CURVES = List.of(
            new Curve("Reward", "reward", List.of("reward", "reward_std")),
            new Curve("Accuracy", "share of completions", List.of("accuracy", "unparsed")),
            new Curve("Saliency terms N, C, S", "value", List.of("necessity", "coverage", "sufficiency")),
            new Curve("r_sal", "r_sal", List.of("r_sal")),
            new Curve("Chain-of-thought use (rollouts)", "share of completions", List.of("cot_use.computing_share",
                    "cot_use.answer_from_cot_share", "cot_use.laundering_share")),
            new Curve("Hinted prompts (rollouts)", "share of completions", List.of("biased_hint.accuracy",
                    "biased_hint.follows_hint_share", "biased_hint.follows_cot_share", "biased_hint.right_hint_accuracy")),
            new Curve("Mask network (docs/design.md 2.6)", "mask objective", List.of("mask_head.objective",
                    "mask_audit.objective_network", "mask_audit.objective_fitted")),
            new Curve("Mask network against fitted masks (audit)", "value", List.of("mask_audit.mean_abs_gap",
                    "mask_audit.spearman")),
            new Curve("KL to the reference", "k3 estimate", List.of("kl")),
            new Curve("Gradient norm", "L2 norm before clipping", List.of("grad_norm")),
            new Curve("Learning rate", "lr", List.of("lr")));
    private static final List<String> TASK_TIMES = List.of("generation", "saliency", "gradient"),
            DRIVER_TIMES = List.of("broadcast", "reduction", "update");

    private final String name;
    private final String config;
    private final List<ObjectNode> metrics;
    private final ObjectNode summary;
    private final SaliencySamples samples;

    public RunReport(String name, String config, List<ObjectNode> metrics, ObjectNode summary, SaliencySamples samples) {
        if (metrics.isEmpty()) throw new IllegalArgumentException("a report needs at least one metrics line");
        this.name = name;
        this.config = config;
        this.metrics = List.copyOf(metrics);
        this.summary = summary;
        this.samples = samples;
    }

    /** The run in {@code run}; samples from saliency_samples.json when there is one, else {@code samplesOrNull}. */
    public static RunReport read(RunDirectory run, SaliencySamples samplesOrNull) throws IOException {
        FileSystem fs = run.fs();
        Path root = run.root();
        if (!fs.exists(root)) throw new UserInputException("run directory " + root + " does not exist");
        if (!fs.getFileStatus(root).isDirectory()) throw new UserInputException(root + " is a file, not a run directory");
        Path configFile = new Path(root, RunDirectory.CONFIG);
        if (!fs.exists(configFile)) {
            throw new UserInputException(root + " is not a run directory: it has no " + RunDirectory.CONFIG
                    + " (written by atmanrl train when a run starts)");
        }
        String config = new String(HadoopFiles.readSmall(fs, configFile, SMALL_LIMIT), StandardCharsets.UTF_8);
        List<ObjectNode> metrics = readMetrics(fs, new Path(root, RunDirectory.METRICS));
        ObjectNode summary = run.summary().orElse(null);
        SaliencySamples samples = samplesOrNull;
        Path samplesFile = samplesFile(run);
        if (samples == null && fs.exists(samplesFile)) {
            samples = readSamples(samplesFile, HadoopFiles.readSmall(fs, samplesFile, SMALL_LIMIT));
        }
        return new RunReport(root.getName(), config, metrics, summary, samples);
    }

    public SaliencySamples samples() {
        return samples;
    }

    public RunReport withSamples(SaliencySamples other) {
        return new RunReport(name, config, metrics, summary, other);
    }

    public static Path samplesFile(RunDirectory run) {
        return new Path(run.root(), RunDirectory.SALIENCY_SAMPLES);
    }

    static List<ObjectNode> readMetrics(FileSystem fs, Path file) throws IOException {
        if (!fs.exists(file)) {
            throw new UserInputException("run " + file.getParent() + " has no metrics yet (no " + RunDirectory.METRICS
                    + "): nothing to report before its first step");
        }
        String text = new String(HadoopFiles.readSmall(fs, file, METRICS_LIMIT), StandardCharsets.UTF_8);
        List<ObjectNode> lines = new ArrayList<>();
        String[] raw = text.split("\n", -1);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i].isBlank()) continue;
            String at = file + ":" + (i + 1);
            JsonNode n;
            try {
                n = LENIENT.readTree(raw[i]);
            } catch (IOException e) {
                throw new UserInputException(at + ": not JSON: " + firstLine(e.getMessage()));
            }
            if (!(n instanceof ObjectNode o)) throw new UserInputException(at + ": a JSON object is expected, got " + abbreviate(raw[i]));
            JsonNode step = o.get("step");
            if (step == null || !step.isIntegralNumber() || step.asLong() < 1) {
                throw new UserInputException(at + ": field step must be an integer >= 1, got " + (step == null ? "none" : step));
            }
            if (!lines.isEmpty() && step.asLong() <= lines.get(lines.size() - 1).get("step").asLong()) {
                throw new UserInputException(at + ": field step " + step + " does not follow step "
                        + lines.get(lines.size() - 1).get("step") + " of the line before");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (isCurveKey(e.getKey()) && !e.getValue().isNumber() && !e.getValue().isNull()) {
                    throw new UserInputException(at + ": field " + e.getKey() + " must be a number, got " + abbreviate(e.getValue().toString()));
                }
            }
            lines.add(o);
        }
        if (lines.isEmpty()) {
            throw new UserInputException("run " + file.getParent() + " has no metrics yet (" + RunDirectory.METRICS
                    + " is empty): nothing to report before its first step");
        }
        return lines;
    }

    private static boolean isCurveKey(String key) {
        for (Curve c : CURVES) if (c.keys().contains(key)) return true;
        return false;
    }

    private static ObjectNode object(Path file, byte[] bytes) {
        try {
            JsonNode n = LENIENT.readTree(bytes);
            if (n instanceof ObjectNode o) return o;
            throw new UserInputException(file + ": a JSON object is expected");
        } catch (IOException e) {
            throw new UserInputException(file + ": not JSON: " + firstLine(e.getMessage()));
        }
    }

    static SaliencySamples readSamples(Path file, byte[] bytes) {
        try {
            return SaliencySamples.fromJson(object(file, bytes));
        } catch (IllegalArgumentException e) {
            throw new UserInputException(file + ": " + e.getMessage());
        }
    }

    /** Which charts {@link #html} draws, by caption, in order: what a browser should find rendered. */
    public List<String> chartCaptions() {
        List<String> out = new ArrayList<>();
        for (Curve c : CURVES) if (!series(c).isEmpty()) out.add(c.caption());
        out.add("Step time split");
        if (!evalPoints().isEmpty()) out.add("Test evaluation");
        return out;
    }

    /** How many CoT value cells the heat maps have. */
    public int heatmapCells() {
        return samples == null ? 0 : SaliencyHeatmap.cotCells(samples);
    }

    /** Whether summary.json says the run trained all its steps and was evaluated. */
    private boolean finished() {
        return summary != null && RunStatus.of(summary).finished();
    }

    public String html() {
        HtmlPage page = new HtmlPage("AtManRL run " + name);
        ObjectNode lastLine = metrics.get(metrics.size() - 1);
        page.note(metrics.size() + " metric lines, last step " + lastLine.get("step")
                + (!finished() ? "; the run has not finished (" + (summary == null ? "no summary.json"
                : "status " + RunStatus.of(summary).jsonName() + " after step " + summary.path("steps").asText("?"))
                + ")" : "; finished: " + summary.path("steps").asText("?") + " steps in "
                + String.format(Locale.ROOT, "%.0f s", summary.path("seconds").asDouble())));
        page.section("Training curves").openCharts();
        for (Curve c : CURVES) {
            List<Charts.Series> s = series(c);
            if (!s.isEmpty()) page.chart(c.caption(), Charts.lines("step", c.yTitle(), s));
        }
        page.chart("Step time split", timeSplit());
        Map<String, List<double[]>> points = evalPoints();
        if (!points.isEmpty()) {
            List<Charts.Series> s = new ArrayList<>();
            points.forEach((k, v) -> s.add(new Charts.Series("test " + k, column(v, 0), column(v, 1))));
            page.chart("Test evaluation", Charts.lines("step", "value", s));
        }
        page.closeCharts();
        page.note("Task times (generation, saliency, gradient) are summed over a step's tasks, which run side by side;"
                + " broadcast, reduction and update are the driver's wall time.");
        page.section("Evaluation before and after training");
        if (summary == null) {
            page.note("no summary.json yet: the run has not finished");
        } else {
            page.html(beforeAfterTable());
            for (Iterator<Map.Entry<String, JsonNode>> it = summary.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isObject() && !e.getKey().equals("before") && !e.getKey().equals("after")) {
                    page.html("<h3>" + HtmlPage.escape(e.getKey()) + "</h3>" + flatTable(e.getValue()));
                }
            }
        }
        page.section("Saliency of sample completions");
        if (samples == null || samples.samples().isEmpty()) {
            page.note("no saliency samples: the run wrote no saliency_samples.json (eval.samples 0, or it has not"
                    + " finished); atmanrl report --model DIR computes them");
        } else {
            page.note("Each CoT token coloured by its fitted mask value m* (docs/design.md 2.2), below it by"
                    + " the exhaustive AtMan reference: how much the answer's log-likelihood drops when that one token is suppressed,"
                    + " and at the bottom by the gradient of that log-likelihood in the token's attention bias at b = 0,"
                    + " the drop's first-order counterpart for one backward pass (not in runs written before it).");
            page.html(SaliencyHeatmap.legend());
            for (SaliencySamples.Sample s : samples.samples()) page.html(SaliencyHeatmap.render(s));
        }
        page.section("Resolved config (config.yaml)");
        page.html("<pre class=\"config\">" + HtmlPage.escape(config) + "</pre>");
        return page.render();
    }

    private List<Charts.Series> series(Curve c) {
        List<Charts.Series> out = new ArrayList<>();
        for (String key : c.keys()) {
            boolean any = false;
            double[] x = new double[metrics.size()], y = new double[metrics.size()];
            for (int i = 0; i < metrics.size(); i++) {
                x[i] = metrics.get(i).get("step").asDouble();
                JsonNode v = at(metrics.get(i), key);
                y[i] = v != null && v.isNumber() ? v.asDouble() : Double.NaN;
                any |= v != null && v.isNumber();
            }
            if (any) out.add(new Charts.Series(key, x, y));
        }
        return out;
    }

    /** The value at a dotted key ({@code cot_use.computing_share}), or null. */
    private static JsonNode at(JsonNode line, String dottedKey) {
        JsonNode v = line;
        for (String part : dottedKey.split("\\.")) {
            v = v == null ? null : v.get(part);
        }
        return v;
    }

    private ObjectNode timeSplit() {
        List<String> labels = new ArrayList<>();
        for (ObjectNode m : metrics) labels.add(m.get("step").asText());
        List<Charts.Series> s = new ArrayList<>();
        List<String> parts = new ArrayList<>(TASK_TIMES);
        parts.addAll(DRIVER_TIMES);
        for (String part : parts) {
            double[] x = new double[metrics.size()], y = new double[metrics.size()];
            for (int i = 0; i < metrics.size(); i++) {
                x[i] = i;
                JsonNode v = metrics.get(i).path("seconds").get(part);
                y[i] = v != null && v.isNumber() ? v.asDouble() : Double.NaN;
            }
            s.add(new Charts.Series((TASK_TIMES.contains(part) ? "tasks: " : "driver: ") + part, x, y));
        }
        return Charts.bars(labels, "step", "seconds", s, true);
    }

    /** Accuracy and r_sal of every evaluation: before (step 0), each eval.every line, after (the last step). */
    private Map<String, List<double[]>> evalPoints() {
        Map<String, List<double[]>> out = new LinkedHashMap<>();
        if (summary != null) addEval(out, 0, summary.get("before"));
        for (ObjectNode m : metrics) addEval(out, m.get("step").asDouble(), m.get("eval"));
        if (summary != null) addEval(out, summary.path("steps").asDouble(metrics.get(metrics.size() - 1).get("step").asDouble()),
                summary.get("after"));
        return out;
    }

    private static void addEval(Map<String, List<double[]>> out, double step, JsonNode eval) {
        if (eval == null || !eval.isObject()) return;
        for (String key : List.of("accuracy", "mean_saliency", "mean_coverage", "mean_necessity",
                "faithfulness.cot_use.computing_share", "faithfulness.biased_hint.accuracy",
                "faithfulness.biased_hint.follows_hint_share", "faithfulness.biased_hint.right_hint_accuracy")) {
            JsonNode v = at(eval, key);
            String name = key.substring(key.lastIndexOf('.') + 1);
            if (key.startsWith("faithfulness.biased_hint.")) name = "hint " + name;
            if (v != null && v.isNumber()) out.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {step, v.asDouble()});
        }
    }

    private static double[] column(List<double[]> rows, int c) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) out[i] = rows.get(i)[c];
        return out;
    }

    private String beforeAfterTable() {
        Map<String, String> before = flatten(summary.get("before")), after = flatten(summary.get("after"));
        Set<String> keys = new LinkedHashSet<>(before.keySet());
        keys.addAll(after.keySet());
        StringBuilder t = new StringBuilder("<table class=\"data\"><thead><tr><th>measure</th><th>before</th>"
                + "<th>after</th><th>change</th></tr></thead><tbody>");
        for (String k : keys) {
            String b = before.getOrDefault(k, ""), a = after.getOrDefault(k, "");
            t.append("<tr><td>").append(HtmlPage.escape(k)).append("</td><td class=\"num\">").append(HtmlPage.escape(b))
                    .append("</td><td class=\"num\">").append(HtmlPage.escape(a)).append("</td><td class=\"num\">")
                    .append(HtmlPage.escape(change(b, a))).append("</td></tr>");
        }
        return t.append("</tbody></table>").toString();
    }

    private static String flatTable(JsonNode node) {
        StringBuilder t = new StringBuilder("<table class=\"data\"><tbody>");
        flatten(node).forEach((k, v) -> t.append("<tr><td>").append(HtmlPage.escape(k)).append("</td><td class=\"num\">")
                .append(HtmlPage.escape(v)).append("</td></tr>"));
        return t.append("</tbody></table>").toString();
    }

    /** Nested objects as dotted keys, arrays as lists: any measure a later version adds shows without code here. */
    static Map<String, String> flatten(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node != null && node.isObject()) flatten("", node, out);
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = prefix + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                flatten(key + ".", v, out);
            } else if (v.isArray()) {
                List<String> items = new ArrayList<>();
                for (JsonNode x : v) items.add(format(x));
                out.put(key, "[" + String.join(", ", items) + "]");
            } else {
                out.put(key, format(v));
            }
        }
    }

    private static String format(JsonNode v) {
        if (v.isNull()) return "n/a";
        if (v.isIntegralNumber()) return v.asText();
        if (v.isNumber()) return String.format(Locale.ROOT, "%.4f", v.asDouble());
        return v.isTextual() ? v.asText() : v.toString();
    }

    private static String change(String before, String after) {
        try {
            double d = Double.parseDouble(after) - Double.parseDouble(before);
            return String.format(Locale.ROOT, "%+.4f", d);
        } catch (NumberFormatException e) {
            return "";
        }
    }

    private static String firstLine(String message) {
        String m = message == null ? "" : message;
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
