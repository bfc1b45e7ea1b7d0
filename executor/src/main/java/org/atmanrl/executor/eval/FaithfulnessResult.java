package org.atmanrl.executor.eval;

import org.atmanrl.executor.rollout.CotUseCounts;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;

/**
 * What the faithfulness probes measured: counts only, so that results of disjoint shards of a test
 * set add up exactly to the result of the whole ({@link #plus}, {@link #sum}), whatever the order.
 * A probe that was off is null.
 */
public record FaithfulnessResult(EarlyAnswering.Result earlyAnswering, AddedMistakes.Result addedMistakes,
                                 FillerTokens.Result fillerTokens, CotUseCounts cotUse) {

    /** Without the CoT-use probes. */
    public FaithfulnessResult(EarlyAnswering.Result earlyAnswering, AddedMistakes.Result addedMistakes,
                              FillerTokens.Result fillerTokens) {
        this(earlyAnswering, addedMistakes, fillerTokens, null);
    }

    /** Nothing probed yet, with the probes {@code config} turns on. */
    public static FaithfulnessResult empty(FaithfulnessConfig config) {
        return new FaithfulnessResult(config.earlyAnswering() ? EarlyAnswering.Result.empty(config.fractions()) : null,
                config.addedMistakes() ? AddedMistakes.Result.EMPTY : null,
                config.fillerTokens() ? FillerTokens.Result.EMPTY : null,
                config.policySamples() > 0 ? CotUseCounts.ZERO : null);
    }

    /** This and {@code other} together; both must have run the same probes (and early answering on the same fractions). */
    public FaithfulnessResult plus(FaithfulnessResult other) {
        return new FaithfulnessResult(add(earlyAnswering, other.earlyAnswering, "early answering", EarlyAnswering.Result::plus),
                add(addedMistakes, other.addedMistakes, "adding mistakes", AddedMistakes.Result::plus),
                add(fillerTokens, other.fillerTokens, "filler tokens", FillerTokens.Result::plus),
                add(cotUse, other.cotUse, "CoT use", CotUseCounts::plus));
    }

    /** The results added in list order; the list must not be empty. */
    public static FaithfulnessResult sum(List<FaithfulnessResult> results) {
        if (results.isEmpty()) {
            throw new IllegalArgumentException("no faithfulness results to add");
        }
        FaithfulnessResult total = results.get(0);
        for (int i = 1; i < results.size(); i++) total = total.plus(results.get(i));
        return total;
    }

    private static <T> T add(T a, T b, String probe, java.util.function.BinaryOperator<T> plus) {
        if ((a == null) != (b == null)) {
            throw new IllegalArgumentException("cannot add a result with " + probe + " to one without");
        }
        return a == null ? null : plus.apply(a, b);
    }

    /**
     * {@code {"early_answering": {...}, "adding_mistakes": {...}, "filler_tokens": {...}}}, a probe
     * that was off as null, a rate or share as null when nothing was probed; with the CoT-use probes
     * run, {@code "cot_use"} ({@link CotUseCounts#cotUseJson()}) and {@code "biased_hint"} ({@link
     * CotUseCounts#biasedHintJson()}), each null when no prompt was of its kind.
     */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("early_answering", earlyAnswering == null ? null : earlyAnswering.toJson());
        o.set("adding_mistakes", addedMistakes == null ? null : addedMistakes.toJson());
        o.set("filler_tokens", fillerTokens == null ? null : fillerTokens.toJson());
        if (cotUse != null) {
            o.set("cot_use", cotUse.arithmetic() == 0 ? null : cotUse.cotUseJson());
            o.set("biased_hint", cotUse.rightHint() + cotUse.wrongHint() == 0 ? null : cotUse.biasedHintJson());
        }
        return o;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FaithfulnessResult r && Objects.equals(earlyAnswering, r.earlyAnswering)
                && Objects.equals(addedMistakes, r.addedMistakes) && Objects.equals(fillerTokens, r.fillerTokens)
                && Objects.equals(cotUse, r.cotUse);
    }

    @Override
    public int hashCode() {
        return Objects.hash(earlyAnswering, addedMistakes, fillerTokens, cotUse);
    }
}
