package org.atmanrl.driver.eval;

import java.io.PrintWriter;
import org.atmanrl.executor.eval.EvalReport;

/** {@code eval}'s stdout: a header and one row; saliency columns read "-" when no mask was fitted. */
final class EvalTable {
    private EvalTable() {
    }

    static void print(PrintWriter out, EvalReport r) {
        int width = Math.max("data set".length(), r.dataSet().length());
        String row = "%-" + width + "s  %8s  %8s  %8s  %6s  %6s  %6s  %6s  %7s%n";
        out.printf(row, "data set", "problems", "accuracy", "unparsed", "N", "C", "S", "r_sal", "seconds");
        boolean fitted = r.fitted() > 0;
        out.printf(row, r.dataSet(), r.problems(), String.format("%.1f%%", 100 * r.accuracy()), r.unparsed(),
                value(fitted, r.meanNecessity()), value(fitted, r.meanCoverage()), value(fitted, r.meanSufficiency()),
                value(fitted || r.correct() == 0, r.meanSaliency()), String.format("%.1f", r.seconds()));
    }

    private static String value(boolean known, double v) {
        return known ? String.format("%.3f", v) : "-";
    }
}
