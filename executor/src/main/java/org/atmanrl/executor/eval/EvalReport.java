package org.atmanrl.executor.eval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What {@link Evaluation} measured on one data set: greedy outcome counts and DESIGN 2.2's
 * saliency terms.
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
 * @param masksCollapsed         the fitted masks collapsed (median ~ 90th percentile, DESIGN 2.2)
 * @param seconds                wall time of the evaluation
 */
public record EvalReport(String dataSet, int problems, int correct, int unparsed, int fitted, double meanNecessity,
                         double meanCoverage, double meanSufficiency, double meanSaliency,
                         double meanSaliencyOfCorrect, boolean masksCollapsed, double seconds) {

    public double accuracy() {
        return problems == 0 ? 0 : (double) correct / problems;
    }

    /**
     * One JSON object, snake_case keys. The means over fitted completions are null when none was
     * fitted, and {@code mean_saliency} is null when correct completions went unfitted (saliency
     * off): there they were not measured, which 0 would hide.
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
