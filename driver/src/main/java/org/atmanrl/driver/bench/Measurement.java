package org.atmanrl.driver.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * One benchmark figure: what ran ({@code metric} on {@code config}, described by {@code details}
 * in output order), the tokens and FLOPs of one run where they are counted, and the timings.
 *
 * @param config       the shape's label, or null for the GEMM reference
 * @param shape        the work of one run in words, e.g. {@code 16 x 256}
 * @param tokensPerRun tokens one run processes (0 where tokens mean nothing, as for GEMM)
 * @param flopsPerRun  FLOPs of one run, 0 where they are not counted (decode)
 */
record Measurement(String config, String metric, String shape, Map<String, Object> details,
                   long tokensPerRun, double flopsPerRun, Timings timings) {

    static final String TRAIN_STEP = "train_step";
    static final String FORWARD = "forward";
    static final String DECODE = "decode";
    static final String GEMM = "gemm";
    static final String LOAD = "load_bf16";
    static final String MASK_FIT_FULL = "mask_fit_full";
    static final String MASK_FIT_PREFIX = "mask_fit_prefix";
    static final String MASK_NETWORK = "mask_network";

    Measurement {
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** A pass over a {@code batch x seq} grid of cells (training step or forward). */
    /** The same figure under another metric name, e.g. {@code train_step_bf16} for bf16-stored weights. */
    Measurement withMetricSuffix(String suffix) {
        return new Measurement(config, metric + suffix, shape, details, tokensPerRun, flopsPerRun, timings);
    }

    static Measurement grid(BenchShape s, String metric, double flops, Timings t) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("batch", s.batch());
        d.put("seq", s.seq());
        return new Measurement(s.label(), metric, s.batch() + " x " + s.seq(), d,
                (long) s.batch() * s.seq(), flops, t);
    }

    /** KV-cached sampling; its time includes the prompt's prefill. */
    static Measurement decode(BenchShape s, int batch, int promptTokens, int newTokens, Timings t) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("batch", batch);
        d.put("prompt_tokens", promptTokens);
        d.put("new_tokens", newTokens);
        d.put("prefill_included", true);
        return new Measurement(s.label(), DECODE, batch + " x (" + promptTokens + "+" + newTokens + ")", d,
                (long) batch * newTokens, 0, t);
    }

    /**
     * One mask-fit batch (docs/design.md 2.2): a row per prompt length in {@code prompts}, each
     * followed by {@code completion} tokens with a CoT of {@code cot}, {@code steps} Adam steps;
     * {@code extra} details follow those.
     */
    static Measurement maskFit(BenchShape s, String metric, int[] prompts, int completion, int cot, int steps,
                               Map<String, Object> extra, Timings t) {
        int shortest = java.util.Arrays.stream(prompts).min().orElseThrow();
        int longest = java.util.Arrays.stream(prompts).max().orElseThrow();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("rows", prompts.length);
        d.put("prompt_tokens", prompts.clone());
        d.put("completion_tokens", completion);
        d.put("cot_tokens", cot);
        d.put("steps", steps);
        d.putAll(extra);
        return new Measurement(s.label(), metric, String.format("%d x (%d-%d + %d), K %d", prompts.length, shortest,
                longest, completion, steps), d, 0, 0, t);
    }

    /** Loading a BF16 model directory to fp32 weights. */
    static Measurement load(BenchShape s, long fileBytes, long fp32Bytes, long peakHeapBytes, long maxHeapBytes,
                            Timings t) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("file_mb", round1(fileBytes / 1e6));
        d.put("fp32_mb", round1(fp32Bytes / 1e6));
        d.put("mb_per_s", round1(fileBytes / 1e6 / t.median()));
        d.put("peak_heap_mb", round1(peakHeapBytes / 1e6));
        d.put("peak_heap_of_fp32", Math.round(1000.0 * peakHeapBytes / fp32Bytes) / 1000.0);
        d.put("max_heap_mb", round1(maxHeapBytes / 1e6));
        return new Measurement(s.label(), LOAD, String.format("%.0f MB BF16", fileBytes / 1e6), d, 0, 0, t);
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    static Measurement gemm(int n, Timings t) {
        return new Measurement(null, GEMM, n + " x " + n + " x " + n, Map.of("n", n), 0, Flops.gemm(n), t);
    }

    OptionalDouble tokensPerSecond() {
        return tokensPerRun > 0 ? OptionalDouble.of(tokensPerRun / timings.median()) : OptionalDouble.empty();
    }

    OptionalDouble gflops() {
        return flopsPerRun > 0 ? OptionalDouble.of(flopsPerRun / timings.median() / 1e9) : OptionalDouble.empty();
    }

    /** This figure's GFLOP/s as a fraction of {@code gemm}'s. */
    OptionalDouble ratioTo(Measurement gemm) {
        if (gemm == this || gflops().isEmpty() || gemm.gflops().isEmpty()) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(gflops().getAsDouble() / gemm.gflops().getAsDouble());
    }
}
