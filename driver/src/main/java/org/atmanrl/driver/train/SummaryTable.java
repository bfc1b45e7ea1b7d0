package org.atmanrl.driver.train;

import org.atmanrl.driver.spark.SparkTraining;
import org.atmanrl.executor.eval.EvalReport;

/** The before/after table a training run and the demo print. */
public final class SummaryTable {
    private SummaryTable() {}

    public static String render(SparkTraining.Outcome o) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-8s %9s %9s %7s %7s %7s %8s %8s%n", "", "problems", "accuracy", "N", "C", "S", "r_sal",
                "seconds"));
        row(b, "before", o.before());
        row(b, "after", o.after());
        return b.toString();
    }

    private static void row(StringBuilder b, String label, EvalReport r) {
        if (r == null) return;
        b.append(String.format("%-8s %9d %9.3f %7.3f %7.3f %7.3f %8.4f %8.0f%n", label, r.problems(), r.accuracy(),
                r.meanNecessity(), r.meanCoverage(), r.meanSufficiency(), r.meanSaliency(), r.seconds()));
    }
}
