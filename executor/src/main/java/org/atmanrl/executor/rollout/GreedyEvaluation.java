package org.atmanrl.executor.rollout;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;
import org.atmanrl.reward.data.Verdict;

/** Greedy accuracy on the first {@code n} problems of a set: the metric of every curve here. */
public final class GreedyEvaluation {
    private GreedyEvaluation() {
    }

    public static Accuracy accuracy(LlamaModel model, Tokenizer tokenizer, ProblemSet problems, int n,
                                    int maxNewTokens, int stopToken, int maxRows) {
        List<Problem> list = new ArrayList<>();
        for (int i = 0; i < Math.min(n, problems.size()); i++) list.add(problems.get(i));
        List<int[]> completions = Rollouts.generate(model, list, 1, 0L,
                SamplingParams.greedy(maxNewTokens, stopToken), maxRows);
        int correct = 0, parsed = 0;
        for (int i = 0; i < list.size(); i++) {
            String text = tokenizer.decode(Rollouts.withoutStop(completions.get(i), stopToken));
            Verdict v = list.get(i).verify(text);
            correct += v.correct() ? 1 : 0;
            parsed += v.parsed() ? 1 : 0;
        }
        return new Accuracy(correct, parsed, list.size());
    }
}
