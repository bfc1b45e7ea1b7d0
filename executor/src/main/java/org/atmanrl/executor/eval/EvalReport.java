package org.atmanrl.executor.eval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link Evaluation} measured on one data set: greedy outcome counts, the saliency terms
 * of docs/design.md 2.2 and, when run, the faithfulness probes. Reports of disjoint shards of one
 * test set merge into the report of the whole ({@link #merge}).
 *
 * @param dataSet                the problem set's name, e.g. {@code gsm8k/test}
 * @param problems               problems evaluated (one greedy completion each)
 * @param correct                completions whose answer equals the reference
 * @param unparsed               completions with no readable answer (a format failure, counted
 *                               apart from a wrong answer)
 * @param fitted                 correct completions whose mask was fitted (0 with saliency off)
 * @param meanNecessity          mean N over the fitted completions (0 when none was fitted)
 * @param meanCoverage           mean C over the fitted completions (0 when none)
 * @param meanSufficiency        mean S over the fitted completions (0 when none)
 * @param meanSaliency           r_sal averaged over all problems, 0 for wrong ones: the term as it
 *                               enters the reward
 * @param meanSaliencyOfCorrect  r_sal averaged over the correct completions (0 when none)
 * @param masksCollapsed         the fitted masks collapsed (median ~ 90th percentile,
 *                               docs/design.md 2.2)
 * @param seconds                wall time of the evaluation
 * @param faithfulness           the faithfulness probes' counts, or null when they did not run
 */
public record EvalReport(String dataSet, int problems, int correct, int unparsed, int fitted, double meanNecessity,
                         double meanCoverage, double meanSufficiency, double meanSaliency,
                         double meanSaliencyOfCorrect, boolean masksCollapsed, double seconds,
                         FaithfulnessResult faithfulness) {

    /** A report without faithfulness probes. */
    public EvalReport(String dataSet, int problems, int correct, int unparsed, int fitted, double meanNecessity,
                      double meanCoverage, double meanSufficiency, double meanSaliency, double meanSaliencyOfCorrect,
                      boolean masksCollapsed, double seconds) {
        this(dataSet, problems, correct, unparsed, fitted, meanNecessity, meanCoverage, meanSufficiency, meanSaliency,
                meanSaliencyOfCorrect, masksCollapsed, seconds, null);
    }

    /**
     * The report of the union of disjoint shards of one data set, from the shards' reports, added
     * in list order. Counts add; each mean is the mean of the shards' means weighted by the count
     * it is taken over (N, C, S by {@code fitted}, r_sal by {@code problems}, r_sal of the correct
     * ones by {@code correct}), exact up to floating-point rounding; {@code seconds} adds up (the
     * work done, not the wall time of parallel shards); the faithfulness counts add exactly.
     * {@code masksCollapsed} becomes the OR of the shards': the collapse check looks at all fitted
     * masks at once, which no shard saw, so a collapse in any shard is reported.
     *
     * @throws IllegalArgumentException if the list is empty, the data sets differ, or some shards
     *     ran the faithfulness probes (or other fractions) and others not
     */
    public static EvalReport merge(List<EvalReport> shards) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("no evaluation reports to merge");
        }
        String dataSet = shards.get(0).dataSet;
        int problems = 0, correct = 0, unparsed = 0, fitted = 0;
        double necessity = 0, coverage = 0, sufficiency = 0, saliency = 0, saliencyOfCorrect = 0, seconds = 0;
        boolean collapsed = false;
        List<FaithfulnessResult> faithful = new ArrayList<>();
        for (EvalReport r : shards) {
            if (!r.dataSet.equals(dataSet)) {
                throw new IllegalArgumentException("cannot merge reports of " + dataSet + " and " + r.dataSet);
            }
            if ((r.faithfulness == null) != (shards.get(0).faithfulness == null)) {
                throw new IllegalArgumentException("cannot merge reports with faithfulness probes and without");
            }
            problems += r.problems;
            correct += r.correct;
            unparsed += r.unparsed;
            fitted += r.fitted;
            necessity += r.meanNecessity * r.fitted;
            coverage += r.meanCoverage * r.fitted;
            sufficiency += r.meanSufficiency * r.fitted;
            saliency += r.meanSaliency * r.problems;
            saliencyOfCorrect += r.meanSaliencyOfCorrect * r.correct;
            collapsed |= r.masksCollapsed;
            seconds += r.seconds;
            if (r.faithfulness != null) faithful.add(r.faithfulness);
        }
        return new EvalReport(dataSet, problems, correct, unparsed, fitted, ratio(necessity, fitted),
                ratio(coverage, fitted), ratio(sufficiency, fitted), ratio(saliency, problems),
                ratio(saliencyOfCorrect, correct), collapsed, seconds,
                faithful.isEmpty() ? null : FaithfulnessResult.sum(faithful));
    }

    private static double ratio(double a, int b) {
        return b == 0 ? 0 : a / b;
    }

    public double accuracy() {
        return problems == 0 ? 0 : (double) correct / problems;
    }

    /**
     * One JSON object, snake_case keys. The means over fitted completions are null when none was
     * fitted, and {@code mean_saliency} is null when correct completions went unfitted (saliency
     * off): there they were not measured, which 0 would hide. With the faithfulness probes run, a
     * last key {@code faithfulness} holds {@link FaithfulnessResult#toJson()}; without, there is
     * no such key.
     */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("data_set", dataSet).put("problems", problems).put("correct", correct).put("accuracy", accuracy())
                .put("unparsed", unparsed).put("fitted", fitted);
        boolean measured = fitted > 0;
        putOrNull(o, "mean_necessity", meanNecessity, measured);
        putOrNull(o, "mean_coverage", meanCoverage, measured);
        putOrNull(o, "mean_sufficiency", meanSufficiency, measured);
        putOrNull(o, "mean_saliency", meanSaliency, measured || correct == 0);
        putOrNull(o, "mean_saliency_of_correct", meanSaliencyOfCorrect, measured);
        o.put("masks_collapsed", masksCollapsed).put("seconds", seconds);
        if (faithfulness != null) o.set("faithfulness", faithfulness.toJson());
        return o;
    }

    private static void putOrNull(ObjectNode o, String key, double value, boolean known) {
        if (known) {
            o.put(key, value);
        } else {
            o.putNull(key);
        }
    }
}
