package org.atmanrl.executor.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.Sampler;
import org.atmanrl.model.SamplingParams;

/**
 * Greedy continuations of arbitrary contexts through the KV-cached {@link Sampler}, in passes of at
 * most {@code maxRows} rows. A row's budget is {@code budget} cut to what the model's context has
 * left after it; rows are grouped by budget (one {@link SamplingParams} per {@code Sampler} call)
 * before being cut into passes, so that no row's budget depends on which rows share its pass, and
 * a row's tokens are the same for any {@code maxRows}.
 */
final class GreedyPasses {
    private GreedyPasses() {
    }

    /** Generated ids per context (the stop token last when produced; empty when the context fills the model). */
    static List<int[]> generate(LlamaModel model, List<int[]> contexts, long[] rowKeys, int budget, int stop,
                                int maxRows) {
        int[] budgets = new int[contexts.size()];
        java.util.Arrays.fill(budgets, budget);
        return generate(model, contexts, rowKeys, budgets, stop, maxRows);
    }

    /** As above with a budget per context. */
    static List<int[]> generate(LlamaModel model, List<int[]> contexts, long[] rowKeys, int[] budgets, int stop,
                                int maxRows) {
        if (rowKeys.length != contexts.size() || budgets.length != contexts.size()) {
            throw new IllegalArgumentException(contexts.size() + " contexts but " + rowKeys.length + " row keys");
        }
        int maxPositions = model.config().maxPositionEmbeddings();
        Map<Integer, List<Integer>> byBudget = new TreeMap<>();
        int[][] out = new int[contexts.size()][];
        for (int i = 0; i < contexts.size(); i++) {
            int own = Math.min(budgets[i], maxPositions - contexts.get(i).length);
            if (own < 1) {
                out[i] = new int[0];
            } else {
                byBudget.computeIfAbsent(own, b -> new ArrayList<>()).add(i);
            }
        }
        for (Map.Entry<Integer, List<Integer>> group : byBudget.entrySet()) {
            SamplingParams params = SamplingParams.greedy(group.getKey(), stop);
            List<Integer> rows = group.getValue();
            for (int from = 0; from < rows.size(); from += maxRows) {
                List<Integer> pass = rows.subList(from, Math.min(rows.size(), from + maxRows));
                List<int[]> prompts = new ArrayList<>(pass.size());
                long[] keys = new long[pass.size()];
                for (int j = 0; j < pass.size(); j++) {
                    prompts.add(contexts.get(pass.get(j)));
                    keys[j] = rowKeys[pass.get(j)];
                }
                List<int[]> generated = Sampler.generate(model, prompts, keys, 0L, params);
                for (int j = 0; j < pass.size(); j++) out[pass.get(j)] = generated.get(j);
            }
        }
        return List.of(out);
    }
}
