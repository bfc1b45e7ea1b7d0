package org.atmanrl.driver.bench;

import java.io.PrintWriter;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/** A table for people, one row per measurement, printed as each finishes. */
final class TableReport implements BenchReport {
    private static final String ROW = "%-6s %-22s %-20s %10s %8s %8s %9s %15s  %s%n";

    private final PrintWriter out;
    private BenchPlan plan;
    private boolean sawLayerSteps;

    TableReport(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void header(BenchEnvironment env, BenchPlan plan) {
        this.plan = plan;
        RepeatedRun runs = plan.modelRuns();
        out.printf("atmanrl bench %s: fp32, median of %d run(s) after %d warm-up run(s) each%n",
                env.atmanrlVersion(), runs.repeats(), runs.warmup());
        out.printf("ND4J %s, %s, %s, BLAS %s; Java %s, %d cores, load average %.2f at start%n",
                env.nd4jVersion(), env.backend(), env.threads(), env.nd4jInfo().getOrDefault("blas.vendor", "unknown"),
                env.javaVersion(), env.cores(), env.loadAverage());
        for (BenchShape s : plan.shapes()) {
            out.println(s.describe());
        }
        out.println();
        out.printf(ROW, "config", "metric", "shape", "tokens/s", "GFLOP/s", "of GEMM", "median s", "min-max s", "runs s");
        out.flush();
    }

    @Override
    public void measurement(Measurement m, Measurement gemm) {
        sawLayerSteps |= m.metric().startsWith("layer_step");
        String runs = m.timings().seconds().stream().map(s -> String.format("%.3f", s))
                .collect(Collectors.joining(" "));
        out.printf(ROW, m.config() == null ? "-" : m.config(), m.metric(), m.shape(),
                format(m.tokensPerSecond(), "%,.0f"), format(m.gflops(), "%.1f"),
                format(m.ratioTo(gemm).stream().map(r -> 100 * r).findFirst(), "%.1f%%"),
                String.format("%.3f", m.timings().median()),
                String.format("%.3f-%.3f", m.timings().min(), m.timings().max()), runs);
        if (m.metric().equals(Measurement.MASK_FIT_PREFIX)) {
            var d = m.details();
            out.printf("       prompt computed once (%s cells per row): %sx faster than full passes; masks differ by"
                    + " at most %.1e%n", d.get("prefix_tokens"), d.get("speedup"), (double) d.get("max_mask_difference"));
        }
        if (m.metric().equals(Measurement.MASK_NETWORK)) {
            out.printf("       mask network (head, l_full, l_none, objective pass and its backward): %sx faster than"
                    + " the prefix fit%n", m.details().get("speedup_vs_prefix_fit"));
        }
        if (m.metric().startsWith("task_step_")) {
            var d = m.details();
            out.printf("       %s mask%s: saliency %.1f%% of the task (generation %s s, saliency %s s, gradient %s s;"
                    + " buffers allocated %.0f; medians)%n", d.get("mask"), "network".equals(d.get("mask"))
                    ? ", head_rows " + d.get("head_rows") : ", K " + d.get("saliency_steps"),
                    100 * (double) d.get("saliency_share"), d.get("generation_s"), d.get("saliency_s"),
                    d.get("gradient_s"), (double) d.get("pool_allocations"));
        }
        if (m.metric().startsWith(GradientMemoryBench.METRIC)) {
            var d = m.details();
            out.printf("       micro_batch_rows %s: peak resident memory +%s MB, peak Java heap %s MB (largest of the"
                    + " runs)%n", d.get("micro_batch_rows"), d.get("peak_rss_mb"), d.get("peak_heap_mb"));
        }
        if (m.metric().equals(Measurement.LOAD)) {
            var d = m.details();
            out.printf("       %s MB BF16 -> %s MB fp32 off-heap at %s MB/s; peak Java heap %s MB = %sx the fp32"
                    + " model (max heap %s MB)%n", d.get("file_mb"), d.get("fp32_mb"), d.get("mb_per_s"),
                    d.get("peak_heap_mb"), d.get("peak_heap_of_fp32"), d.get("max_heap_mb"));
        }
        out.flush();
    }

    @Override
    public void finish() {
        RepeatedRun gemm = plan.gemmRuns();
        out.println();
        out.println(Flops.FORMULA + ".");
        out.printf("gemm: Nd4j.gemm on [%1$d, %1$d] fp32 arrays, 2*n^3 FLOPs, median of %2$d run(s) after %3$d"
                + " warm-up(s).%n", GemmReference.N, gemm.repeats(), gemm.warmup());
        out.printf("decode: generated tokens / wall time of Sampler.generate (prompt %d tokens, %d new per row,"
                + " temperature 1, no stop tokens); the prefill is included.%n",
                ModelBench.PROMPT_TOKENS, plan.decodeNewTokens());
        out.println("train_step: forward + backward of all weights, loss on every cell, no optimizer step.");
        if (sawLayerSteps) {
            out.println("layer_step_*: one decoder layer's train step, SameDiff calculateGradients against the"
                    + " model's hand-written backward; FLOPs = 6*(layer params)*B*T + 12*B*T^2*H*hd.");
        }
        out.flush();
    }

    private static String format(OptionalDouble v, String pattern) {
        return v.isPresent() ? String.format(pattern, v.getAsDouble()) : "-";
    }
}
