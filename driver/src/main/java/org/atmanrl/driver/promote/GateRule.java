package org.atmanrl.driver.promote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.regex.Pattern;
import org.atmanrl.model.io.JsonFiles;

/**
 * One clause of the promotion gate (docs/training-on-spark.md "Scheduled retraining"): a number of
 * the final evaluation (summary.json's {@code after}, by a dotted path such as {@code accuracy} or
 * {@code faithfulness.adding_mistakes.change_rate}) may be worse than the promoted model's by at
 * most {@code margin}; "worse" is lower, or higher for a {@code lower}-is-better number.
 *
 * @param metric dotted path under {@code after}: letters, digits and underscores between dots
 * @param margin how much worse it may be, finite and at least 0
 * @param lowerIsBetter whether a smaller value is the better one
 */
public record GateRule(String metric, double margin, boolean lowerIsBetter) {
    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+){0,7}");
    /** What {@code --gate} takes, for its error lines. */
    public static final String SYNTAX = "METRIC[:MARGIN[:higher|lower]], e.g. accuracy:0.02 or"
            + " faithfulness.biased_hint.follows_hint_share:0.05:lower";

    public GateRule {
        if (metric == null || !PATH.matcher(metric).matches()) {
            throw new IllegalArgumentException("metric '" + metric + "' is not a dotted path of the evaluation such as"
                    + " accuracy or faithfulness.adding_mistakes.change_rate");
        }
        if (!Double.isFinite(margin) || margin < 0) {
            throw new IllegalArgumentException("margin " + margin + " of " + metric + " must be a number, 0 or more");
        }
    }

    /** {@code METRIC[:MARGIN[:higher|lower]]}; the margin defaults to 0, the direction to higher is better. */
    public static GateRule parse(String text) {
        String[] parts = text.strip().split(":", -1);
        if (parts.length > 3) throw new IllegalArgumentException("'" + text + "' has too many parts; " + SYNTAX);
        double margin = 0;
        if (parts.length >= 2) {
            try {
                margin = Double.parseDouble(parts[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "': margin '" + parts[1] + "' is not a number; " + SYNTAX);
            }
        }
        boolean lower = false;
        if (parts.length == 3) {
            String d = parts[2].toLowerCase(Locale.ROOT);
            if (!d.equals("higher") && !d.equals("lower")) {
                throw new IllegalArgumentException("'" + text + "': direction '" + parts[2] + "' is not higher or lower");
            }
            lower = d.equals("lower");
        }
        return new GateRule(parts[0], margin, lower);
    }

    /** The metric in an evaluation object (summary.json's {@code after}), or NaN if it has none. */
    public double valueIn(JsonNode evaluation) {
        JsonNode n = evaluation == null ? null : evaluation.at("/" + metric.replace('.', '/'));
        return n != null && n.isNumber() ? n.asDouble() : Double.NaN;
    }

    /** The clause's outcome for the new run's value {@code ours} against the promoted model's {@code theirs}. */
    public Check check(double ours, double theirs) {
        boolean holds = Double.isFinite(ours) && Double.isFinite(theirs)
                && (lowerIsBetter ? ours <= theirs + margin : ours >= theirs - margin);
        return new Check(this, ours, theirs, holds);
    }

    /** One clause checked: both values and whether it held. */
    public record Check(GateRule rule, double ours, double theirs, boolean holds) {
        public ObjectNode toJson() {
            ObjectNode o = JsonFiles.MAPPER.createObjectNode();
            o.put("rule", rule.toString());
            JsonFiles.putNumberOrNull(o, "new", ours);
            JsonFiles.putNumberOrNull(o, "promoted", theirs);
            o.put("holds", holds);
            return o;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: new %.4f, promoted %.4f: %s", rule, ours, theirs,
                    holds ? "holds" : "fails");
        }
    }

    /** As the summary and the console show it, e.g. {@code accuracy >= promoted - 0.02}. */
    @Override
    public String toString() {
        return metric + (lowerIsBetter ? " <= promoted + " : " >= promoted - ") + margin;
    }
}
