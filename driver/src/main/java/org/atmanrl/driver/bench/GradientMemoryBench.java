package org.atmanrl.driver.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.atmanrl.executor.grpo.Advantages;
import org.atmanrl.executor.grpo.GrpoBatch;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.grpo.GrpoGradient;
import org.atmanrl.model.LlamaModel;

/**
 * {@code bench --micro-batch}: the memory of one task's GRPO gradient (docs/design.md 6.1) at
 * {@code grpo.micro_batch_rows} 0 (one pass), a quarter and a sixteenth of its rows: twice the
 * shape's batch in rows (groups of {@link #G}), each a {@link #PROMPT_TOKENS}-token prompt and a
 * completion filling the shape's sequence, on-policy, no KL. Per setting, alternating run by run:
 * seconds, and the largest over the timed runs of the peak resident memory above the run's start
 * ({@link ResidentPeak}) and of the peak Java heap ({@link HeapPeak}).
 */
final class GradientMemoryBench {
    static final String METRIC = "grpo_gradient_rows_";
    static final int G = 8, PROMPT_TOKENS = 64;
    private static final long SEED = 7;

    private GradientMemoryBench() {
    }

    static List<Measurement> measure(BenchShape shape, LlamaModel model, RepeatedRun runs) {
        int rows = 2 * shape.batch(), vocab = shape.config().vocabSize();
        SplittableRandom rng = new SplittableRandom(SEED);
        List<int[]> prompts = new ArrayList<>(), completions = new ArrayList<>();
        double[] rewards = new double[rows];
        for (int r = 0; r < rows; r++) {
            prompts.add(rng.ints(PROMPT_TOKENS, 0, vocab).toArray());
            completions.add(rng.ints(shape.seq() + 1 - PROMPT_TOKENS, 0, vocab).toArray());
            rewards[r] = rng.nextInt(2);
        }
        GrpoBatch batch = GrpoBatch.of(prompts, completions);
        int[] settings = {0, Math.max(1, rows / 4), Math.max(1, rows / 16)};
        List<String> names = new ArrayList<>();
        List<Runnable> works = new ArrayList<>();
        List<List<long[]>> peaks = new ArrayList<>();
        for (int micro : settings) {
            GrpoConfig config = new GrpoConfig(G, GrpoConfig.AdvantageScale.GROUP, GrpoConfig.StdEstimator.SAMPLE, 1e-4,
                    0.2, 0.2, 0.0, GrpoConfig.Aggregation.TOKEN, shape.seq(), false, 1, micro);
            Advantages advantages = Advantages.compute(rewards, config);
            List<long[]> seen = new ArrayList<>();
            peaks.add(seen);
            names.add(shape.label() + " " + METRIC + micro);
            works.add(() -> {
                HeapPeak.reset();
                ResidentPeak.reset();
                long start = ResidentPeak.residentBytes();
                GrpoGradient.compute(model, config, batch, advantages, null, null);
                seen.add(new long[] {ResidentPeak.peakBytes() - start, HeapPeak.bytesSinceReset()});
            });
        }
        List<Timings> t = runs.alternate(names, works);
        List<Measurement> out = new ArrayList<>();
        for (int v = 0; v < settings.length; v++) {
            List<long[]> timed = peaks.get(v).subList(peaks.get(v).size() - t.get(v).seconds().size(), peaks.get(v).size());
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("rows", rows);
            d.put("seq", shape.seq());
            d.put("micro_batch_rows", settings[v]);
            d.put("peak_rss_mb", mb(timed.stream().mapToLong(p -> p[0]).max().orElseThrow()));
            d.put("peak_heap_mb", mb(timed.stream().mapToLong(p -> p[1]).max().orElseThrow()));
            out.add(new Measurement(shape.label(), METRIC + settings[v], rows + " x " + shape.seq(), d,
                    (long) rows * shape.seq(), 0, t.get(v)));
        }
        return out;
    }

    private static long mb(long bytes) {
        return Math.round(bytes / (1024.0 * 1024.0));
    }
}
