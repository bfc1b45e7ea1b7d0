package org.atmanrl.executor.sft;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.GradientClipping;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.rollout.Accuracy;
import org.atmanrl.executor.rollout.GreedyEvaluation;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.model.Gradients;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TokenBatch;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;
import org.atmanrl.reward.data.PromptEncoder;

/**
 * Single-process supervised fine-tuning on reference completions (prompt tokens carry no loss):
 * the mean negative log-likelihood of every completion token in the batch, AdamW, global-norm
 * clipping, warm-up then cosine. Batch {@code s} is a pure function of (seed, step), so a run
 * reproduces bit for bit.
 */
public final class SftTrainer {
    /** Rows per generation pass in evaluation. */
    static final int EVAL_ROWS = 256;

    /** One line of the training log. */
    public record Progress(int step, double loss, double learningRate, double gradNorm, int tokens,
                           double seconds, Accuracy testAccuracy) {
    }

    private final SftConfig config;
    private final PromptEncoder encoder;
    private final Consumer<Progress> listener;

    public SftTrainer(SftConfig config, PromptEncoder encoder, Consumer<Progress> listener) {
        this.config = config;
        this.encoder = encoder;
        this.listener = listener;
    }

    /**
     * Trains {@code weights} in place on {@code train} (and {@code control} for the configured
     * share of each batch, if given), evaluating greedy accuracy on {@code test}.
     * @return the log, one entry per step
     */
    public List<Progress> train(LlamaWeights weights, ProblemSet train, ProblemSet control, ProblemSet test) {
        LlamaModel model = new LlamaModel(weights);
        AdamW adam = new AdamW(new AdamW.Config(config.beta1(), config.beta2(), 1e-8, config.weightDecay(),
                AdamW.DecayScope.ALL), weights.named());
        LearningRateSchedule schedule = LearningRateSchedule.cosine(config.learningRate(), config.warmupSteps(),
                config.steps(), config.minLrRatio());
        int evalTokens = maxCompletionTokens(test) + 8;
        List<Progress> log = new ArrayList<>();
        long start = System.nanoTime();
        for (int step = 0; step < config.steps(); step++) {
            List<int[]> seqs = new ArrayList<>();
            List<Integer> promptLengths = new ArrayList<>();
            batch(step, train, control, seqs, promptLengths);
            TokenBatch tb = TokenBatch.forScoring(seqs);
            double[] w = completionWeights(tb, seqs, promptLengths);
            double loss;
            GradientClipping.Result clip;
            try (ForwardPass fp = model.forward(tb, null)) {
                double[] lp = fp.logProbs();
                loss = 0;
                for (int i = 0; i < w.length; i++) loss += w[i] * lp[i]; // w = -1/count on completion cells: the mean NLL
                try (Gradients g = fp.backward(w, true, false)) {
                    clip = GradientClipping.clip(g.weights().named().values(), config.clipNorm());
                    if (!clip.finite() || !Double.isFinite(loss)) {
                        throw new IllegalStateException("SFT step " + step + ": loss " + loss + ", gradient norm "
                                + clip.norm() + "; stopping before the weights are touched");
                    }
                    adam.step(g.weights().named(), schedule.at(step));
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            boolean last = step == config.steps() - 1
                    || (config.timeLimitSeconds() > 0 && seconds >= config.timeLimitSeconds());
            Accuracy acc = (step + 1) % config.evalEvery() == 0 || last
                    ? GreedyEvaluation.accuracy(model, encoder.tokenizer(), test, config.evalSize(), evalTokens,
                    encoder.stopToken(), EVAL_ROWS) : null;
            int tokens = countTokens(w);
            Progress p = new Progress(step + 1, loss, schedule.at(step), clip.norm(), tokens,
                    (System.nanoTime() - start) / 1e9, acc);
            log.add(p);
            listener.accept(p);
            if (last) {
                break;
            }
        }
        return log;
    }

    /** Problems of step {@code step}: drawn by index from (seed, step, slot), control share first. */
    private void batch(int step, ProblemSet train, ProblemSet control, List<int[]> seqs, List<Integer> promptLengths) {
        int controls = control == null ? 0 : (int) Math.round(config.controlShare() * config.batchSize());
        for (int i = 0; i < config.batchSize(); i++) {
            Problem p = (i < controls ? control : train).draw(config.seed(), step, i);
            int[] prompt = p.promptIds();
            int[] completion = encoder.completion(p.referenceCompletion().orElseThrow(() ->
                    new IllegalArgumentException("problem " + p.id() + " has no reference completion to train on")));
            int[] seq = new int[prompt.length + completion.length];
            System.arraycopy(prompt, 0, seq, 0, prompt.length);
            System.arraycopy(completion, 0, seq, prompt.length, completion.length);
            seqs.add(seq);
            promptLengths.add(prompt.length);
        }
    }

    /** -1/count on every cell that predicts a completion token, 0 elsewhere. */
    static double[] completionWeights(TokenBatch tb, List<int[]> seqs, List<Integer> promptLengths) {
        int t = tb.length();
        double[] w = new double[tb.tokens()];
        int count = 0;
        for (int r = 0; r < seqs.size(); r++) {
            count += seqs.get(r).length - promptLengths.get(r);
        }
        for (int r = 0; r < seqs.size(); r++) {
            for (int c = promptLengths.get(r) - 1; c < seqs.get(r).length - 1; c++) {
                w[r * t + c] = -1.0 / count;
            }
        }
        return w;
    }

    private static int countTokens(double[] w) {
        int n = 0;
        for (double x : w) n += x != 0 ? 1 : 0;
        return n;
    }

    private int maxCompletionTokens(ProblemSet test) {
        int max = 1;
        for (int i = 0; i < Math.min(test.size(), config.evalSize()); i++) {
            max = Math.max(max, encoder.completion(test.get(i).referenceCompletion().orElse("")).length);
        }
        return max;
    }
}
