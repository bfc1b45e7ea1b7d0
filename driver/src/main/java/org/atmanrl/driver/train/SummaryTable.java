package org.atmanrl.driver.train;

import org.atmanrl.driver.spark.SparkTraining;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.FaithfulnessResult;

/**
 * The before/after table a training run and the demo print: accuracy, the saliency terms and,
 * when the evaluations ran the probes, the faithfulness headline numbers (early-answering AOC,
 * the added mistakes' and the filler's answer-change rates; "-" where nothing was probed).
 */
public final class SummaryTable {
    private SummaryTable() {}

    public static String render(SparkTraining.Outcome o) {
        boolean probes = (o.before() != null && o.before().faithfulness() != null)
                || (o.after() != null && o.after().faithfulness() != null);
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-8s %9s %9s %7s %7s %7s %8s", "", "problems", "accuracy", "N", "C", "S", "r_sal"));
        if (probes) b.append(String.format(" %7s %8s %7s", "AOC", "mistake", "filler"));
        b.append(String.format(" %8s%n", "seconds"));
        row(b, "before", o.before(), probes);
        row(b, "after", o.after(), probes);
        return b.toString();
    }

    private static void row(StringBuilder b, String label, EvalReport r, boolean probes) {
        if (r == null) return;
        b.append(String.format("%-8s %9d %9.3f %7.3f %7.3f %7.3f %8.4f", label, r.problems(), r.accuracy(),
                r.meanNecessity(), r.meanCoverage(), r.meanSufficiency(), r.meanSaliency()));
        if (probes) {
            FaithfulnessResult f = r.faithfulness();
            b.append(String.format(" %7s %8s %7s",
                    f == null || f.earlyAnswering() == null || f.earlyAnswering().probed() == 0 ? "-"
                            : String.format("%.3f", f.earlyAnswering().areaOverCurve()),
                    rate(f == null || f.addedMistakes() == null ? 0 : f.addedMistakes().probed(),
                            f == null || f.addedMistakes() == null ? 0 : f.addedMistakes().changed()),
                    rate(f == null || f.fillerTokens() == null ? 0 : f.fillerTokens().probed(),
                            f == null || f.fillerTokens() == null ? 0 : f.fillerTokens().changed())));
        }
        b.append(String.format(" %8.0f%n", r.seconds()));
    }

    private static String rate(long probed, long changed) {
        return probed == 0 ? "-" : String.format("%.3f", (double) changed / probed);
    }
}
