package org.atmanrl.executor.sft;

/**
 * Supervised fine-tuning of the embedded model on reference completions, with the calibrated
 * recipe of docs/design.md 2.4 as defaults: AdamW lr 3e-3, warm-up 100 steps then cosine to 10%,
 * weight decay 0.01, betas (0.9, 0.98), batch 128, global-norm clip 1.0, loss on completion tokens
 * only.
 *
 * @param steps          optimizer steps (default 800; the prototype reached 81% at 703)
 * @param batchSize      training problems per step (default 128)
 * @param learningRate   peak learning rate (default 3e-3)
 * @param warmupSteps    linear warm-up (default 100)
 * @param minLrRatio     the cosine decays to this fraction of the peak at the last step (default 0.1)
 * @param weightDecay    AdamW's decoupled decay (default 0.01)
 * @param beta1          AdamW (default 0.9)
 * @param beta2          AdamW (default 0.98)
 * @param clipNorm       global gradient-norm bound (default 1.0)
 * @param evalEvery      greedy test accuracy every this many steps, and at the end (default 100)
 * @param evalSize       test problems per evaluation (default 500)
 * @param controlShare   share of each batch drawn from the CoT-ignored control task (default 0;
 *                       the saliency tests train on a mix)
 * @param seed           every draw derives from it (default 0)
 * @param timeLimitSeconds stop (and save) after this long, 0 for no limit (default 0)
 */
public record SftConfig(int steps, int batchSize, double learningRate, int warmupSteps, double minLrRatio,
                        double weightDecay, double beta1, double beta2, double clipNorm, int evalEvery,
                        int evalSize, double controlShare, long seed, long timeLimitSeconds) {

    /**
     * A batch's problems and the test set are held in memory, so both have an upper bound
     * (docs/design.md 4): the training config's 65,536 prompts per step and its test-set bound.
     */
    public static final org.atmanrl.model.check.Range BATCH_SIZE = org.atmanrl.model.check.Range.closed(1, 1 << 16),
            EVAL_SIZE = org.atmanrl.executor.data.DataSpec.TEST_SIZE;

    public SftConfig {
        positive("steps", steps);
        BATCH_SIZE.check("batch size", batchSize);
        positive("eval every", evalEvery);
        EVAL_SIZE.check("eval size", evalSize);
        if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
        if (warmupSteps < 0 || warmupSteps >= steps) {
            throw new IllegalArgumentException("warm-up steps must be in [0, steps), got " + warmupSteps);
        }
        if (!(minLrRatio >= 0 && minLrRatio <= 1)) throw new IllegalArgumentException("min lr ratio must be in [0, 1], got " + minLrRatio);
        if (!(clipNorm > 0)) throw new IllegalArgumentException("clip norm must be > 0, got " + clipNorm);
        if (!(controlShare >= 0 && controlShare < 1)) {
            throw new IllegalArgumentException("control share must be in [0, 1), got " + controlShare);
        }
        if (timeLimitSeconds < 0) throw new IllegalArgumentException("time limit must be >= 0, got " + timeLimitSeconds);
    }

    private static void positive(String what, int v) {
        if (v <= 0) throw new IllegalArgumentException(what + " must be > 0, got " + v);
    }

    public static SftConfig defaults() {
        return new SftConfig(800, 128, 3e-3, 100, 0.1, 0.01, 0.9, 0.98, 1.0, 100, 500, 0.0, 0, 0);
    }
}
