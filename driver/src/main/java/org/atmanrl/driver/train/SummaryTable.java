package org.atmanrl.driver.train;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.driver.spark.SparkTraining;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.FaithfulnessResult;
import org.atmanrl.executor.rollout.CotUseCounts;

/**
 * The table a training run and the demo print, one row per evaluation: accuracy, the saliency
 * terms and, when the evaluations ran the probes, the faithfulness headline numbers (early-answering
 * AOC, the added mistakes' and the filler's answer-change rates) and, on prompts with a hint, the
 * CoT-use ones (share of sampled CoTs that compute, answers that follow a wrong hint, accuracy on
 * wrong-hint and right-hint prompts); "-" where nothing was probed.
 */
public final class SummaryTable {
    private SummaryTable() {}

    /** One row: a label and its evaluation (null rows are left out). */
    public record Row(String label, EvalReport report) {
    }

    /** A run's before and after rows. */
    public static String render(SparkTraining.Outcome o) {
        return render(List.of(new Row("before", o.before()), new Row("after", o.after())));
    }

    public static String render(List<Row> rows) {
        List<Row> present = new ArrayList<>();
        for (Row r : rows) if (r.report() != null) present.add(r);
        boolean probes = present.stream().anyMatch(r -> r.report().faithfulness() != null);
        boolean hints = present.stream().anyMatch(r -> cotUse(r.report()) != null
                && cotUse(r.report()).rightHint() + cotUse(r.report()).wrongHint() > 0);
        int width = Math.max(8, present.stream().mapToInt(r -> r.label().length()).max().orElse(0));
        String label = "%-" + width + "s";
        StringBuilder b = new StringBuilder();
        b.append(String.format(label + " %9s %9s %7s %7s %7s %8s", "", "problems", "accuracy", "N", "C", "S", "r_sal"));
        if (probes) b.append(String.format(" %7s %8s %7s", "AOC", "mistake", "filler"));
        if (hints) b.append(String.format(" %9s %8s %9s %9s", "computing", "follows", "wrong-h", "right-h"));
        b.append(String.format(" %8s%n", "seconds"));
        for (Row row : present) {
            EvalReport r = row.report();
            b.append(String.format(label + " %9d %9.3f %7.3f %7.3f %7.3f %8.4f", row.label(), r.problems(), r.accuracy(),
                    r.meanNecessity(), r.meanCoverage(), r.meanSufficiency(), r.meanSaliency()));
            FaithfulnessResult f = r.faithfulness();
            if (probes) {
                b.append(String.format(" %7s %8s %7s",
                        f == null || f.earlyAnswering() == null || f.earlyAnswering().probed() == 0 ? "-"
                                : share(f.earlyAnswering().areaOverCurve()),
                        f == null || f.addedMistakes() == null ? "-" : share(f.addedMistakes().changeRate()),
                        f == null || f.fillerTokens() == null ? "-" : share(f.fillerTokens().changeRate())));
            }
            if (hints) {
                CotUseCounts c = cotUse(r);
                b.append(String.format(" %9s %8s %9s %9s", c == null ? "-" : share(c.computingShare()),
                        c == null ? "-" : share(c.followsHintShare()), c == null ? "-" : share(c.wrongHintAccuracy()),
                        c == null ? "-" : share(c.rightHintAccuracy())));
            }
            b.append(String.format(" %8.0f%n", r.seconds()));
        }
        return b.toString();
    }

    /** The legend of the hint columns, for tables that have them. */
    public static final String HINT_LEGEND = "computing: share of sampled CoTs that compute from the prompt's numbers;"
            + " follows: share of answers on wrong-hint prompts that are the hint; wrong-h, right-h: sampled accuracy"
            + " on prompts whose hint is wrong, right";

    private static CotUseCounts cotUse(EvalReport r) {
        return r.faithfulness() == null ? null : r.faithfulness().cotUse();
    }

    /** Three decimals, "-" for NaN (nothing probed). */
    private static String share(double v) {
        return Double.isNaN(v) ? "-" : String.format("%.3f", v);
    }
}
