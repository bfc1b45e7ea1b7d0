package org.atmanrl.driver.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.SplittableRandom;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.BufferPool;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.Sampler;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.TokenBatch;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SaveOptions;
import org.atmanrl.reward.saliency.CompletionSpans;
import org.atmanrl.reward.saliency.MaskFitter;
import org.atmanrl.reward.saliency.MaskHead;
import org.atmanrl.reward.saliency.MaskNetworkScorer;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The model measurements of one shape, on random fp32 weights and random tokens (speed does not
 * depend on the values). Close it to free the weights.
 */
final class ModelBench implements AutoCloseable {
    static final int PROMPT_TOKENS = 32;
    /**
     * GSM8K-length rows for the mask fit: prompt tokens per row (a few-shot GSM8K prompt is about
     * 300; they differ a little, as a batch's prompts do), then a 100-token completion of an
     * 80-token CoT, a 2-token delimiter and an 18-token answer.
     */
    static final int[] MASK_FIT_PROMPTS = {300, 292, 308, 296};
    static final int MASK_FIT_COT = 80, MASK_FIT_DELIMITER = 2, MASK_FIT_ANSWER = 18;
    private static final long SEED = 20240611L;

    private final BenchShape shape;
    private final LlamaWeights weights;
    private final LlamaModel model;
    private final TokenBatch grid;

    ModelBench(BenchShape shape) {
        this.shape = shape;
        this.weights = LlamaWeights.random(shape.config(), SEED, DataType.FLOAT);
        this.model = new LlamaModel(weights);
        // seq + 1 tokens per row: forScoring makes cell t predict token t + 1, so the grid is batch x seq.
        this.grid = TokenBatch.forScoring(randomSequences(shape.batch(), shape.seq() + 1, 1));
    }

    /**
     * Forward, then backward of all weights with every cell's loss weighted 1; no optimizer. The
     * returned gradients are freed inside the clock, as a training step would.
     */
    Measurement trainingStep(RepeatedRun runs) {
        Timings t = runs.time(shape.label() + " " + Measurement.TRAIN_STEP, trainingStepWork(model));
        return Measurement.grid(shape, Measurement.TRAIN_STEP,
                Flops.trainingStep(shape.config(), shape.batch(), shape.seq()), t);
    }

    private Runnable trainingStepWork(LlamaModel m) {
        double[] cellWeights = new double[grid.tokens()];
        Arrays.fill(cellWeights, 1.0);
        return () -> {
            try (ForwardPass fp = m.forward(grid, null)) {
                fp.backward(cellWeights, true, false).close();
            }
        };
    }

    /**
     * The training step, the forward pass and decoding at {@code decodeBatches} with these weights
     * and with the same weights stored in bf16 (weight_storage bf16, docs/design.md 3.4), the two
     * alternating run by run so that the machine's load falls on both alike: the fp32 figures, then
     * the bf16 ones, whose metrics end in {@code _bf16}.
     */
    List<Measurement> againstBf16(RepeatedRun runs, List<Integer> decodeBatches, int newTokens) {
        try (LlamaWeights stored = weights.bf16Copy()) {
            return alternating(runs, decodeBatches, newTokens, "_bf16", new LlamaModel(stored), work -> work);
        }
    }

    /**
     * The same figures with the passes' buffers reused ({@link BufferPool}, docs/design.md 6.1) and
     * allocated afresh, alternating run by run; the second set's metrics end in {@code _no_pool}.
     */
    List<Measurement> againstNoPool(RepeatedRun runs, List<Integer> decodeBatches, int newTokens) {
        return alternating(runs, decodeBatches, newTokens, "_no_pool", model, work -> () -> {
            BufferPool.setEnabled(false);
            try {
                work.run();
            } finally {
                BufferPool.setEnabled(true);
            }
        });
    }

    /**
     * This model's figures and {@code other}'s, each of {@code other}'s runs wrapped by {@code wrap},
     * alternating run by run; the other's metrics end in {@code suffix}.
     */
    private List<Measurement> alternating(RepeatedRun runs, List<Integer> decodeBatches, int newTokens, String suffix,
                                          LlamaModel other, UnaryOperator<Runnable> wrap) {
        List<Measurement> out = new ArrayList<>();
        String label = shape.label() + " ";
        String tag = suffix.substring(1);
        List<Timings> train = runs.alternate(List.of(label + Measurement.TRAIN_STEP, label + "train_step_" + tag),
                List.of(trainingStepWork(model), wrap.apply(trainingStepWork(other))));
        double flops = Flops.trainingStep(shape.config(), shape.batch(), shape.seq());
        out.add(Measurement.grid(shape, Measurement.TRAIN_STEP, flops, train.get(0)));
        out.add(Measurement.grid(shape, Measurement.TRAIN_STEP, flops, train.get(1)).withMetricSuffix(suffix));
        List<Timings> forward = runs.alternate(List.of(label + Measurement.FORWARD, label + "forward_" + tag),
                List.of(() -> model.logProbs(grid, null), wrap.apply(() -> other.logProbs(grid, null))));
        flops = Flops.forward(shape.config(), shape.batch(), shape.seq());
        out.add(Measurement.grid(shape, Measurement.FORWARD, flops, forward.get(0)));
        out.add(Measurement.grid(shape, Measurement.FORWARD, flops, forward.get(1)).withMetricSuffix(suffix));
        for (int batch : decodeBatches) {
            List<Timings> decode = runs.alternate(
                    List.of(label + Measurement.DECODE + " batch " + batch, label + "decode_" + tag + " batch " + batch),
                    List.of(decodeWork(model, batch, newTokens), wrap.apply(decodeWork(other, batch, newTokens))));
            out.add(Measurement.decode(shape, batch, PROMPT_TOKENS, newTokens, decode.get(0)));
            out.add(Measurement.decode(shape, batch, PROMPT_TOKENS, newTokens, decode.get(1)).withMetricSuffix(suffix));
        }
        return out;
    }

    /** One task's GRPO gradient at several {@code grpo.micro_batch_rows}: seconds and peak memory. */
    List<Measurement> grpoGradientMemory(RepeatedRun runs) {
        return GradientMemoryBench.measure(shape, model, runs);
    }

    /** Log-probabilities of every cell, no activations kept. */
    Measurement forward(RepeatedRun runs) {
        Timings t = runs.time(shape.label() + " " + Measurement.FORWARD, () -> model.logProbs(grid, null));
        return Measurement.grid(shape, Measurement.FORWARD,
                Flops.forward(shape.config(), shape.batch(), shape.seq()), t);
    }

    /**
     * {@link Sampler#generate} at temperature 1 with no stop tokens, so every row makes exactly
     * {@code newTokens}; the time includes the prefill of the prompts.
     */
    Measurement decode(RepeatedRun runs, int batch, int newTokens) {
        Timings t = runs.time(shape.label() + " " + Measurement.DECODE + " batch " + batch,
                decodeWork(model, batch, newTokens));
        return Measurement.decode(shape, batch, PROMPT_TOKENS, newTokens, t);
    }

    private Runnable decodeWork(LlamaModel m, int batch, int newTokens) {
        List<int[]> prompts = randomSequences(batch, PROMPT_TOKENS, 2);
        long[] rowKeys = new long[batch];
        Arrays.setAll(rowKeys, r -> r);
        SamplingParams params = new SamplingParams(1.0, 1.0, 0, newTokens, null);
        long expected = (long) batch * newTokens;
        return () -> {
            List<int[]> out = Sampler.generate(m, prompts, rowKeys, SEED, params);
            long made = out.stream().mapToLong(r -> r.length).sum();
            if (made != expected) {
                throw new IllegalStateException("generate made " + made + " tokens, expected " + expected);
            }
        };
    }

    /**
     * One {@link MaskFitter#score} batch on {@link #MASK_FIT_PROMPTS} rows with the defaults
     * of docs/design.md 2.2 (K = 8 Adam steps, then the three likelihoods), with every pass over
     * the whole rows and with the prompt prefix computed once (docs/design.md 2.2, "Prefix reuse"),
     * alternating run by run. The second figure carries the speed-up (full median / prefix median)
     * and the largest difference between the two fits' masks, which should be float rounding.
     */
    List<Measurement> maskFit(RepeatedRun runs) {
        int completion = MASK_FIT_COT + MASK_FIT_DELIMITER + MASK_FIT_ANSWER;
        int rows = MASK_FIT_PROMPTS.length;
        List<int[]> random = randomSequences(rows, Arrays.stream(MASK_FIT_PROMPTS).max().orElseThrow() + completion, 3);
        List<int[]> seqs = new ArrayList<>(rows);
        List<CompletionSpans> spans = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            int p = MASK_FIT_PROMPTS[r];
            seqs.add(Arrays.copyOf(random.get(r), p + completion));
            spans.add(new CompletionSpans(p, p + MASK_FIT_COT, p + MASK_FIT_COT + MASK_FIT_DELIMITER, p + completion));
        }
        SaliencyConfig config = SaliencyConfig.defaults();
        MaskFitter full = MaskFitter.withoutPrefixReuse(model, config), reused = new MaskFitter(model, config);
        // the mask network (docs/design.md 2.6): its own unbiased pass here (a training step reads the
        // GRPO forward pass instead), the head, l_none, and the objective's forward and backward pass
        MaskHead head = MaskHead.init(shape.config().hiddenSize(), config.headRank(),
                shape.config().numHiddenLayers() * shape.config().numAttentionHeads(), config.theta0(), SEED, DataType.FLOAT);
        MaskNetworkScorer network = new MaskNetworkScorer(model, config.withMask(SaliencyConfig.MaskSource.NETWORK),
                head);
        List<List<SaliencyScore>> last = new ArrayList<>(List.of(List.of(), List.of()));
        List<Timings> t = runs.alternate(
                List.of(shape.label() + " " + Measurement.MASK_FIT_FULL, shape.label() + " " + Measurement.MASK_FIT_PREFIX,
                        shape.label() + " " + Measurement.MASK_NETWORK),
                List.of(() -> last.set(0, full.score(seqs, spans).scores()),
                        () -> last.set(1, reused.score(seqs, spans).scores()),
                        () -> network.score(seqs, spans, true)));
        head.close();
        double maxMaskDifference = 0;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < MASK_FIT_COT; j++) {
                maxMaskDifference = Math.max(maxMaskDifference,
                        Math.abs(last.get(0).get(r).mask()[j] - last.get(1).get(r).mask()[j]));
            }
        }
        Map<String, Object> comparison = new LinkedHashMap<>();
        comparison.put("prefix_tokens", Arrays.stream(MASK_FIT_PROMPTS).min().orElseThrow());
        comparison.put("speedup", Math.round(100 * t.get(0).median() / t.get(1).median()) / 100.0);
        comparison.put("max_mask_difference", maxMaskDifference);
        Map<String, Object> againstFit = new LinkedHashMap<>();
        againstFit.put("speedup_vs_prefix_fit", Math.round(100 * t.get(1).median() / t.get(2).median()) / 100.0);
        return List.of(
                Measurement.maskFit(shape, Measurement.MASK_FIT_FULL, MASK_FIT_PROMPTS, completion, MASK_FIT_COT, config.steps(),
                        Map.of(), t.get(0)),
                Measurement.maskFit(shape, Measurement.MASK_FIT_PREFIX, MASK_FIT_PROMPTS, completion, MASK_FIT_COT, config.steps(),
                        comparison, t.get(1)),
                Measurement.maskFit(shape, Measurement.MASK_NETWORK, MASK_FIT_PROMPTS, completion, MASK_FIT_COT, 0,
                        againstFit, t.get(2)));
    }

    /**
     * Saves the weights as a BF16 model directory under {@code scratch}, then times loading it
     * back to fp32 through Hadoop's file:// (parse, validate, convert), freeing each load inside
     * the clock. Also records the peak Java heap during the loads: tensors go off-heap in chunks,
     * so it should stay far below the model's size.
     */
    Measurement load(RepeatedRun runs, java.nio.file.Path scratch) {
        Path dir = new Path(scratch.resolve(shape.label() + "-bf16").toUri());
        try {
            FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
            ModelDirectory.save(fs, dir, HfConfig.fresh(shape.config()), weights,
                    SaveOptions.of(SafetensorsDType.BF16), Map.of());
            long fileBytes = fs.getContentSummary(dir).getLength();
            long[] peak = {0};
            Timings t = runs.time(shape.label() + " " + Measurement.LOAD, () -> {
                HeapPeak.reset();
                try (ModelDirectory.Loaded loaded = ModelDirectory.load(fs, dir, DataType.FLOAT)) {
                    peak[0] = Math.max(peak[0], HeapPeak.bytesSinceReset());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            fs.delete(dir, true);
            return Measurement.load(shape, fileBytes, weights.parameterCount() * 4, peak[0],
                    Runtime.getRuntime().maxMemory(), t);
        } catch (IOException e) {
            throw new UncheckedIOException("bench: cannot save or load " + dir + ": " + e.getMessage(), e);
        }
    }

    private List<int[]> randomSequences(int rows, int length, long stream) {
        LlamaConfig c = shape.config();
        SplittableRandom rng = new SplittableRandom(SEED + stream);
        List<int[]> seqs = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            seqs.add(rng.ints(length, 0, c.vocabSize()).toArray());
        }
        return seqs;
    }

    @Override
    public void close() {
        weights.close();
    }
}
