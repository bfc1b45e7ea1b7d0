package org.atmanrl.executor.eval;

import java.util.List;
import org.atmanrl.executor.rollout.CotUseCounts;
import org.atmanrl.executor.rollout.Rollouts;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.RowRandom;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.Verdict;

/**
 * The CoT-use and biased-hint probes ({@link CotUseCounts}) on completions the policy samples:
 * {@link FaithfulnessConfig#policySamples()} per problem at {@link
 * FaithfulnessConfig#temperature()}, within the evaluation's completion budget. Sampled, not
 * greedy: a policy that writes a computing CoT 60% of the time and a decorative one 40% decodes
 * greedily to the computing one every time, so greedy completions would hide the very mixture
 * that GRPO moves. Row {@code (problem, sample)} draws from the key of the problem id and the sample
 * index under the probes' seed ({@link Rollouts}), so counts do not depend on batches or shards.
 */
public final class CotUseProbe {
    /** Folded into the faithfulness seed so these draws are apart from any other use of it. */
    private static final long STREAM = 0x636f74757365L;

    private CotUseProbe() {
    }

    static CotUseCounts run(LlamaModel model, Tokenizer tokenizer, int stop, List<Problem> problems,
                            FaithfulnessConfig config) {
        SamplingParams params = new SamplingParams(config.temperature(), 1.0, 0, config.continuationTokens(),
                new int[] {stop});
        List<int[]> completions = Rollouts.generate(model, problems, config.policySamples(),
                RowRandom.mix(config.seed(), STREAM), params, config.maxRowsPerPass());
        CotUseCounts counts = CotUseCounts.ZERO;
        for (int i = 0; i < completions.size(); i++) {
            Problem p = problems.get(i / config.policySamples());
            String text = tokenizer.decode(Rollouts.withoutStop(completions.get(i), stop));
            Verdict v = p.verify(text);
            counts = counts.plus(CotUseCounts.of(p, text, v));
        }
        return counts;
    }
}
