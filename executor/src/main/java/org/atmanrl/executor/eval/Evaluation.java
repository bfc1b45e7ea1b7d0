package org.atmanrl.executor.eval;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.executor.rollout.Rollouts;
import org.atmanrl.executor.task.CorrectCompletionSaliency;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;
import org.atmanrl.reward.data.PromptEncoder;
import org.atmanrl.reward.data.Verdict;

/**
 * A model's greedy accuracy and AtMan saliency on the first problems of a set: one greedy
 * completion per problem, verified without its stop token, and, with saliency on, the mask of
 * docs/design.md 2.2 fitted on each correct one (the same inputs GRPO's reward uses, via {@link
 * CorrectCompletionSaliency}). Completions are generated in passes of {@code maxRowsPerPass}
 * rows, and masks fitted in passes of that many too, all fitted masks in one {@code MaskFitter}
 * call so that the collapse check sees them together. With faithfulness on, the probes of {@link
 * Faithfulness} run on the same greedy completions. Deterministic: greedy decoding and a
 * deterministic fit.
 *
 * @param saliency       the mask fit's settings (its own {@code maxRowsPerPass} is replaced), or
 *                       null for outcome only
 * @param maxNewTokens   completion budget
 * @param maxRowsPerPass rows per generation or fitting pass
 * @param faithfulness   the faithfulness probes' settings (its continuation budget and {@code
 *                       maxRowsPerPass} are replaced by this evaluation's), or null for none
 */
public record Evaluation(SaliencyConfig saliency, int maxNewTokens, int maxRowsPerPass,
                         FaithfulnessConfig faithfulness) implements java.io.Serializable {
    public Evaluation {
        org.atmanrl.model.SamplingParams.MAX_NEW_TOKENS.check("max_new_tokens", maxNewTokens);
        if (maxRowsPerPass < 1) {
            throw new IllegalArgumentException("maxRowsPerPass must be >= 1, got " + maxRowsPerPass);
        }
        if (saliency != null) {
            saliency = saliency.withMaxRowsPerPass(maxRowsPerPass);
        }
        if (faithfulness != null) {
            faithfulness = faithfulness.withBudgets(maxNewTokens, maxRowsPerPass);
        }
    }

    /** Without the faithfulness probes. */
    public Evaluation(SaliencyConfig saliency, int maxNewTokens, int maxRowsPerPass) {
        this(saliency, maxNewTokens, maxRowsPerPass, null);
    }

    /** Evaluates {@code model} on the first {@code n} problems of {@code set} (all of them if it has fewer). */
    public EvalReport run(LlamaModel model, PromptEncoder encoder, ProblemSet set, int n) {
        return run(model, encoder.tokenizer(), encoder.stopToken(), set.name(), firstProblems(set, n));
    }

    /**
     * Evaluates {@code model} on {@code problems}, a shard of the data set {@code dataSet}: what a
     * Spark task of a distributed evaluation runs; {@link EvalReport#merge} joins the shards.
     */
    public EvalReport run(LlamaModel model, Tokenizer tokenizer, int stop, String dataSet, List<Problem> problems) {
        long t0 = System.nanoTime();
        requireFits(problems, model.config().maxPositionEmbeddings());
        List<int[]> completions = Rollouts.generate(model, problems, 1, 0L, SamplingParams.greedy(maxNewTokens, stop),
                maxRowsPerPass);
        List<Verdict> verdicts = new ArrayList<>(problems.size());
        int correct = 0, parsed = 0;
        for (int i = 0; i < problems.size(); i++) {
            Verdict v = problems.get(i).verify(tokenizer.decode(Rollouts.withoutStop(completions.get(i), stop)));
            verdicts.add(v);
            correct += v.correct() ? 1 : 0;
            parsed += v.parsed() ? 1 : 0;
        }
        int fitted = 0;
        double necessity = 0, coverage = 0, sufficiency = 0, saliencySum = 0;
        boolean collapsed = false;
        if (saliency != null) {
            CorrectCompletionSaliency.Scores scores = CorrectCompletionSaliency.fit(model, saliency, tokenizer,
                    problems, 1, completions, verdicts);
            collapsed = scores.collapsed();
            for (SaliencyScore score : scores.perCompletion()) {
                if (score == null) continue;
                fitted++;
                necessity += score.necessity();
                coverage += score.coverage();
                sufficiency += score.sufficiency();
                saliencySum += score.reward();
            }
        }
        FaithfulnessResult faithful = faithfulness == null ? null : Faithfulness.measure(model, tokenizer,
                stop, problems, completions, verdicts, faithfulness);
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new EvalReport(dataSet, problems.size(), correct, problems.size() - parsed, fitted,
                ratio(necessity, fitted), ratio(coverage, fitted), ratio(sufficiency, fitted),
                ratio(saliencySum, problems.size()), ratio(saliencySum, correct), collapsed, seconds, faithful);
    }

    /**
     * Fails, naming the first problem, if a prompt plus {@code maxNewTokens} exceeds the model's
     * context: before any generation, so a data set too long for a model is one clear message.
     */
    public void requireFits(ProblemSet set, int n, int maxPositions) {
        requireFits(firstProblems(set, n), maxPositions);
    }

    private void requireFits(List<Problem> problems, int maxPositions) {
        for (Problem p : problems) requireFits(p, maxNewTokens, maxPositions);
    }

    /** Fails, naming {@code p}, if its prompt plus {@code maxNewTokens} exceeds {@code maxPositions}; training checks its prompts with it too. */
    public static void requireFits(Problem p, int maxNewTokens, int maxPositions) {
        if ((long) p.promptLength() + maxNewTokens > maxPositions) { // long: a budget near 2^31 must not wrap
            throw new IllegalArgumentException("problem " + p.id() + ": its prompt of " + p.promptLength()
                    + " tokens plus " + maxNewTokens + " new tokens exceeds the model's max_position_embeddings "
                    + maxPositions);
        }
    }

    private static List<Problem> firstProblems(ProblemSet set, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < Math.min(n, set.size()); i++) problems.add(set.get(i));
        return problems;
    }

    private static double ratio(double a, int b) {
        return b == 0 ? 0 : a / b;
    }
}
