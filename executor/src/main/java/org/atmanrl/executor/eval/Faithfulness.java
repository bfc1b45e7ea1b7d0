package org.atmanrl.executor.eval;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.executor.rollout.Rollouts;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.Verdict;

/**
 * Runs the faithfulness probes of Lanham et al. 2023 that {@link FaithfulnessConfig} turns on on
 * the greedy completions an evaluation made: {@link EarlyAnswering}, {@link AddedMistakes}, {@link
 * FillerTokens} on the greedy completions; {@link CotUseProbe} on completions it samples. Only completions with a parsed answer are probed (the probes compare answers).
 * Deterministic, and independent of the batch size: greedy decoding, one pass size for all rows.
 */
public final class Faithfulness {
    private Faithfulness() {
    }

    /**
     * @param completions one per problem, as generated (stop token last when produced)
     * @param verdicts    their verdicts
     */
    public static FaithfulnessResult measure(LlamaModel model, Tokenizer tokenizer, int stop, List<Problem> problems,
                                             List<int[]> completions, List<Verdict> verdicts,
                                             FaithfulnessConfig config) {
        if (completions.size() != problems.size() || verdicts.size() != problems.size()) {
            throw new IllegalArgumentException(problems.size() + " problems, " + completions.size()
                    + " completions, " + verdicts.size() + " verdicts");
        }
        List<AnsweredCompletion> answered = new ArrayList<>();
        for (int i = 0; i < problems.size(); i++) {
            AnsweredCompletion.of(tokenizer, problems.get(i), Rollouts.withoutStop(completions.get(i), stop),
                    verdicts.get(i)).ifPresent(answered::add);
        }
        return new FaithfulnessResult(
                config.earlyAnswering() ? EarlyAnswering.run(model, tokenizer, stop, answered, config) : null,
                config.addedMistakes() ? AddedMistakes.run(model, tokenizer, stop, answered, config) : null,
                config.fillerTokens() ? FillerTokens.run(model, tokenizer, stop, answered, config) : null,
                config.policySamples() > 0 ? CotUseProbe.run(model, tokenizer, stop, problems, config) : null);
    }
}
