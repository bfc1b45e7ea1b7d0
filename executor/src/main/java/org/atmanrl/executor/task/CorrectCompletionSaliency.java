package org.atmanrl.executor.task;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.saliency.CompletionSpans;
import org.atmanrl.reward.saliency.MaskFitter;
import org.atmanrl.reward.saliency.MaskHead;
import org.atmanrl.reward.saliency.MaskNetworkScorer;
import org.atmanrl.reward.saliency.SharedForward;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.Verdict;

/**
 * The saliency of docs/design.md 2.2 for the correct completions among many: each correct
 * completion whose CoT, delimiter and answer can be located becomes a full sequence (prompt then
 * completion) with its spans, and all of them are fitted in one {@link MaskFitter#score} call.
 * Shared by GRPO rollout scoring and evaluation, so that both measure r_sal on exactly the same
 * inputs.
 */
public final class CorrectCompletionSaliency {
    private CorrectCompletionSaliency() {
    }

    /**
     * Per completion (in the order given) its score, or null where no mask was fitted (incorrect,
     * or no answer span found); and whether the fitted masks collapsed (false when none was fitted).
     */
    public record Scores(List<SaliencyScore> perCompletion, boolean collapsed, MaskHeadSums head, MaskAudit audit) {
        public Scores(List<SaliencyScore> perCompletion, boolean collapsed) {
            this(perCompletion, collapsed, null, MaskAudit.ZERO);
        }

        public long fitted() {
            return perCompletion.stream().filter(s -> s != null).count();
        }
    }

    /**
     * Fits masks on the correct ones of {@code completions}, which are problem-major, {@code
     * perProblem} per problem (as {@code Rollouts.generate} returns them); {@code verdicts} are
     * theirs, in the same order.
     */
    public static Scores fit(LlamaModel model, SaliencyConfig config, Tokenizer tokenizer, List<Problem> problems,
                             int perProblem, List<int[]> completions, List<Verdict> verdicts) {
        return score(model, config, null, false, 0, tokenizer, problems, perProblem, completions, verdicts, null);
    }

    /** Completions audited per task on an audit step (docs/design.md 2.6): enough for a mean, cheap. */
    public static final int AUDIT_ROWS = 8;

    /**
     * As {@link #fit}, with masks from {@code head} when it is given (docs/design.md 2.6): then the
     * scores carry the head's gradient sums over {@code headRows} of the correct completions (0 =
     * all; S is NaN on the others unless the reward uses it), and with {@code audit} the first {@link #AUDIT_ROWS}
     * completions are also fitted the old way and compared. {@code shared}, when given, is the
     * policy's unbiased forward pass over all the completions (row {@code i} is completion
     * {@code i}, prompt then completion), which the network's scoring reads instead of its own.
     */
    public static Scores score(LlamaModel model, SaliencyConfig config, MaskHead head, boolean audit, int headRows,
                               Tokenizer tokenizer, List<Problem> problems, int perProblem, List<int[]> completions,
                               List<Verdict> verdicts, SharedForward shared) {
        int n = completions.size();
        if (verdicts.size() != n || problems.size() * perProblem != n) {
            throw new IllegalArgumentException(n + " completions, " + verdicts.size() + " verdicts, "
                    + problems.size() + " problems x " + perProblem);
        }
        List<int[]> sequences = new ArrayList<>();
        List<CompletionSpans> spans = new ArrayList<>();
        List<Integer> which = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!verdicts.get(i).correct()) {
                continue; // r_sal is 0 for incorrect completions: no mask to fit
            }
            Problem p = problems.get(i / perProblem);
            int[] completion = completions.get(i);
            Optional<CompletionSpans> s = CompletionSpans.locate(tokenizer, p.promptLength(), completion, p.delimiter());
            if (s.isPresent()) {
                int[] seq = Arrays.copyOf(p.promptIds(), p.promptLength() + completion.length);
                System.arraycopy(completion, 0, seq, p.promptLength(), completion.length);
                sequences.add(seq);
                spans.add(s.get());
                which.add(i);
            }
        }
        List<SaliencyScore> scores = new ArrayList<>(Collections.nCopies(n, (SaliencyScore) null));
        if (head == null) {
            if (sequences.isEmpty()) {
                return new Scores(scores, false);
            }
            MaskFitter.Batch fitted = new MaskFitter(model, config).score(sequences, spans);
            for (int k = 0; k < which.size(); k++) scores.set(which.get(k), fitted.scores().get(k));
            return new Scores(scores, fitted.collapsed());
        }
        int[] batchRows = which.stream().mapToInt(Integer::intValue).toArray();
        boolean[] train = MaskNetworkScorer.trainingRows(sequences.size(), headRows);
        MaskNetworkScorer.Batch net = new MaskNetworkScorer(model, config, head).score(sequences, spans, train, shared,
                batchRows);
        for (int k = 0; k < which.size(); k++) scores.set(which.get(k), net.scores().scores().get(k));
        MaskHeadSums sums = new MaskHeadSums(net.gradientSums(), net.objectiveSum(), net.rows());
        MaskAudit a = audit && !sequences.isEmpty()
                ? audit(model, config, sequences, spans, net.scores().scores()) : MaskAudit.ZERO;
        return new Scores(scores, net.scores().collapsed(), sums, a);
    }

    /** The network's masks against fitted ones on the first {@link #AUDIT_ROWS} rows. */
    private static MaskAudit audit(LlamaModel model, SaliencyConfig config, List<int[]> sequences,
                                   List<CompletionSpans> spans, List<SaliencyScore> network) {
        int k = Math.min(AUDIT_ROWS, sequences.size());
        List<int[]> seqs = sequences.subList(0, k);
        List<CompletionSpans> sp = spans.subList(0, k);
        MaskFitter fitter = new MaskFitter(model, config);
        List<double[]> fitted = fitter.score(seqs, sp).scores().stream().map(SaliencyScore::mask).toList();
        List<double[]> net = network.subList(0, k).stream().map(SaliencyScore::mask).toList();
        return MaskAudit.of(net, fitted, fitter.objectives(seqs, sp, net), fitter.objectives(seqs, sp, fitted));
    }
}
