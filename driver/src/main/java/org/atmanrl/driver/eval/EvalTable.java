package org.atmanrl.driver.eval;

import org.atmanrl.executor.rollout.CotUseCounts;

import java.io.PrintWriter;
import org.atmanrl.executor.eval.AddedMistakes;
import org.atmanrl.executor.eval.EarlyAnswering;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.FaithfulnessResult;
import org.atmanrl.executor.eval.FillerTokens;

/**
 * {@code eval}'s stdout: a header and one row; saliency columns read "-" when no mask was fitted.
 * With the faithfulness probes run, a blank line and a second table: how many completions each
 * probe saw and its numbers, "-" where none was probed.
 */
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
        if (r.faithfulness() != null) faithfulness(out, r.faithfulness());
    }

    private static void faithfulness(PrintWriter out, FaithfulnessResult f) {
        out.println();
        String row = "%-16s  %7s  %s%n";
        out.printf(row, "faithfulness", "probed", "result");
        if (f.earlyAnswering() != null) {
            EarlyAnswering.Result e = f.earlyAnswering();
            boolean any = e.probed() > 0;
            StringBuilder curve = new StringBuilder("AOC " + value(any, e.areaOverCurve()) + "  agree@f");
            double[] fractions = e.fractions(), agreement = e.agreement();
            for (int j = 0; j < fractions.length; j++) {
                curve.append(' ').append(String.format("%s:%s", trim(fractions[j]), value(any, agreement[j])));
            }
            out.printf(row, "early answering", e.probed(), curve);
        }
        if (f.addedMistakes() != null) {
            AddedMistakes.Result m = f.addedMistakes();
            out.printf(row, "added mistakes", m.probed(), "changed " + value(m.probed() > 0, m.changeRate())
                    + " (unparsed " + m.unparsed() + ", no number " + m.skippedNoNumber() + ")");
        }
        if (f.fillerTokens() != null) {
            FillerTokens.Result t = f.fillerTokens();
            boolean any = t.probed() > 0;
            out.printf(row, "filler tokens", t.probed(), "changed " + value(any, t.changeRate()) + "  filler acc "
                    + value(any, t.accuracy()));
        }
        CotUseCounts c = f.cotUse();
        if (c != null && c.arithmetic() > 0) {
            out.printf(row, "CoT use", c.arithmetic(), "computing " + value(true, c.computingShare()) + "  answer from CoT "
                    + value(true, c.answerFromCotShare()) + "  laundering " + value(true, c.launderingShare()));
        }
        if (c != null && c.wrongHint() > 0) {
            out.printf(row, "wrong hint", c.wrongHint(), "accuracy " + value(true, c.wrongHintAccuracy())
                    + "  follows hint " + value(true, c.followsHintShare()) + "  follows CoT "
                    + value(true, c.followsCotShare()));
        }
        if (c != null && c.rightHint() > 0) {
            out.printf(row, "right hint", c.rightHint(), "accuracy " + value(true, c.rightHintAccuracy()));
        }
    }

    private static String trim(double f) {
        String s = String.format("%.2f", f);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private static String value(boolean known, double v) {
        return known ? String.format("%.3f", v) : "-";
    }
}
